"""GET /consent-register/{person}/{lang}.csv: the consent register's CSV, made when asked for.

Issue 24: the register's CSV is never stored. The card (dialogs/consent/register.py) links here
with a signed, expiring query (`FileLinkSigner.route_url_for`, the same secret as file links);
this route checks the signature, then builds the CSV from the register as it is now, for the
channels the person may see now (an erased consent shows as erased, a person who lost the role
or was erased gets nothing). Nothing is written to the file store.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.web.file_links import FileLinkSigner, content_disposition
from dialogs.consent.register import LANGUAGES, REGISTER_CSV_PATH, register_csv_path

log = logging.getLogger(__name__)

# (person id, language) -> (file name, CSV bytes), or None when there is nothing to show.
RegisterCsv = Callable[[int, str], Awaitable[tuple[str, bytes] | None]]

_PRIVATE_HEADERS = {
    "Cache-Control": "private, no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # the link is the credential; keep it out of Referer
}


def _refusal(status: int, reason: str) -> web.Response:
    return web.Response(status=status, text=reason, headers=_PRIVATE_HEADERS)


class ConsentRegisterEndpoint:
    """Serves the register's CSV to whoever holds a valid, unexpired link."""

    def __init__(self, signer: FileLinkSigner, register_csv: Callable[[], RegisterCsv]) -> None:
        self._signer = signer
        self._register_csv = register_csv  # read at request time: built when the app starts

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """403 for a wrong, missing or expired signature; 404 when there is nothing to show."""
        person, language = request.match_info["person"], request.match_info["lang"]
        query = request.rel_url.query
        if not person.isascii() or not person.isdigit() or language not in LANGUAGES:
            return _refusal(404, "This register does not exist.")
        path = register_csv_path(int(person), language)
        if not self._signer.verify_route(path, query.get("exp"), query.get("sig")):
            log.info("consent register link refused: bad or expired signature")
            return _refusal(403, "This link is not valid or has expired.")
        made = await self._register_csv()(int(person), language)
        if made is None:
            return _refusal(404, "There is no register to show.")
        filename, data = made
        return web.Response(
            body=data,
            headers={
                "Content-Type": "text/csv; charset=utf-8",
                "Content-Disposition": content_disposition(filename),
                **_PRIVATE_HEADERS,
            },
        )


def consent_register_routes(
    signer: FileLinkSigner, register_csv: Callable[[], RegisterCsv]
) -> list[web.RouteDef]:
    """The route to add to the app; `register_csv` gives the builder once the app runs."""
    endpoint = ConsentRegisterEndpoint(signer, register_csv)
    route = REGISTER_CSV_PATH + r"/{person:\d{1,12}}/{lang:[a-z]{2}}.csv"
    return [web.get(route, endpoint.handle)]
