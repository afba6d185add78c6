"""The public list of social media channels (R8): `GET /registry` (HTML), `.json`, `.csv`.

The page is plain HTML with a GET form, so it works without JavaScript; it shows only the
public fields (see domain.registry). Every answer may be cached for five minutes and carries
an ETag of its body, so a repeated request with `If-None-Match` gets 304 and no body.
`export_registry` gives the CLI (`kanalkollen registry export`) the same files.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.web.registry_render import (
    CONTENT_SECURITY_POLICY,
    REGISTRY_PATH,
    esc,
    platform_labeller,
    render_csv,
    render_document,
    render_page,
)
from cards.i18n import Texts
from domain.policy import Policy
from domain.registry import (
    FilterError,
    PublicChannel,
    RegistryFilter,
    in_registry_order,
    parse_filter,
    to_json,
)
from storage.registry import RegistryChoices, public_channels, registry_choices

CACHE_CONTROL = "public, max-age=300"

FORMATS = ("csv", "json")

Sessions = async_sessionmaker[AsyncSession]

SessionSource = Sessions | Callable[[], Sessions]


def _sessions_of(source: SessionSource) -> Callable[[], Sessions]:
    """Accepts a session factory, or a function that returns one once the app has started."""
    if isinstance(source, async_sessionmaker):
        return lambda: source
    return source


class RegistryPage:
    """Serves the public list in HTML, JSON and CSV with the same filter and fields."""

    def __init__(self, sessions: SessionSource, policy: Policy, language: str = "sv") -> None:
        self._sessions = _sessions_of(sessions)
        self._policy = policy
        self._texts = Texts(language)

    async def html(self, request: web.Request) -> web.StreamResponse:
        """GET /registry: the list as an accessible HTML table with a filter form."""
        try:
            wanted = _filter_of(request)
        except FilterError:
            return _bad_request_page(self._texts)
        channels, choices = await self._read(wanted, with_choices=True)
        body = render_page(
            channels,
            choices or RegistryChoices((), ()),
            wanted,
            texts=self._texts,
            policy=self._policy,
        )
        return _cached(request, body, "text/html", CONTENT_SECURITY_POLICY)

    async def json(self, request: web.Request) -> web.StreamResponse:
        """GET /registry.json: the public fields as JSON."""
        try:
            wanted = _filter_of(request)
        except FilterError as error:
            problem = json.dumps({"error": str(error)}, ensure_ascii=False)
            return web.Response(status=400, text=problem, content_type="application/json")
        channels, _ = await self._read(wanted)
        body = to_json(channels, platform_labeller(self._texts))
        return _cached(request, body, "application/json", public=True)

    async def csv(self, request: web.Request) -> web.StreamResponse:
        """GET /registry.csv: the public fields as CSV for Swedish Excel (BOM, `;`)."""
        try:
            wanted = _filter_of(request)
        except FilterError as error:
            return web.Response(status=400, text=f"{error}\n")
        channels, _ = await self._read(wanted)
        body = render_csv(channels, self._texts)
        name = self._texts("registry_page.file_name")
        response = _cached(request, body, "text/csv", public=True)
        response.headers["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response

    async def _read(
        self, wanted: RegistryFilter, *, with_choices: bool = False
    ) -> tuple[list[PublicChannel], RegistryChoices | None]:
        async with self._sessions()() as session:
            channels = await _public_list(session, self._policy, wanted, self._texts)
            choices = await registry_choices(session) if with_choices else None
        return channels, choices


def registry_routes(
    sessions: SessionSource, policy: Policy, *, language: str = "sv"
) -> list[web.RouteDef]:
    """The routes of the public list; `sessions` may be a function read at request time."""
    page = RegistryPage(sessions, policy, language)
    return [
        web.get(REGISTRY_PATH, page.html),
        web.get(f"{REGISTRY_PATH}.json", page.json),
        web.get(f"{REGISTRY_PATH}.csv", page.csv),
    ]


async def export_registry(
    sessions: Sessions,
    policy: Policy,
    fmt: str,
    wanted: RegistryFilter | None = None,
    *,
    language: str = "sv",
) -> str:
    """Returns the public list as `csv` or `json`, the same text the page serves."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown registry format {fmt!r}; use one of {', '.join(FORMATS)}")
    texts = Texts(language)
    async with sessions() as session:
        channels = await _public_list(session, policy, wanted, texts)
    if fmt == "json":
        return to_json(channels, platform_labeller(texts))
    return render_csv(channels, texts)


async def _public_list(
    session: AsyncSession, policy: Policy, wanted: RegistryFilter | None, texts: Texts
) -> list[PublicChannel]:
    """The public channels in registry order, platforms ordered as the catalog names them."""
    found = await public_channels(session, policy.registry.administration, wanted)
    return in_registry_order(found, platform_labeller(texts))


def _filter_of(request: web.Request) -> RegistryFilter:
    query = {key: request.query.getall(key) for key in request.query}
    return parse_filter(query)


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _matches(if_none_match: str | None, etag: str) -> bool:
    """Weak comparison of If-None-Match (RFC 9110 13.1.2): any listed tag, or `*`."""
    if not if_none_match:
        return False
    for candidate in if_none_match.split(","):
        tag = candidate.strip()
        if tag == "*" or tag.removeprefix("W/") == etag:
            return True
    return False


def _cached(
    request: web.Request,
    text: str,
    content_type: str,
    content_security_policy: str | None = None,
    *,
    public: bool = False,
) -> web.Response:
    """A 200 with cache headers and an ETag, or a 304 when the client has this body."""
    body = text.encode("utf-8")
    etag = _etag(body)
    headers = {
        "Cache-Control": CACHE_CONTROL,
        "ETag": etag,
        "X-Content-Type-Options": "nosniff",
    }
    if content_security_policy:
        headers["Content-Security-Policy"] = content_security_policy
    if public:
        # Open data: other sites (the city's web) may fetch the files from a browser.
        headers["Access-Control-Allow-Origin"] = "*"
    if _matches(request.headers.get("If-None-Match"), etag):
        return web.Response(status=304, headers=headers)
    return web.Response(body=body, headers=headers, content_type=content_type, charset="utf-8")


def _bad_request_page(texts: Texts) -> web.Response:
    content = f"""<main>
<h1>{esc(texts("registry_page.heading"))}</h1>
<p>{esc(texts("registry_page.bad_request"))}</p>
<p><a href="{REGISTRY_PATH.lstrip("/")}">{esc(texts("registry_page.back"))}</a></p>
</main>"""
    body = render_document(texts("registry_page.page_title"), content, texts)
    return web.Response(
        status=400,
        text=body,
        content_type="text/html",
        headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY},
    )
