"""The public lists of social media channels (R8), in HTML, JSON and CSV.

`GET /registry/{slug}` (`.json`, `.csv`) is the list of one organisation, filterable by
administration, unit and platform. `GET /registry` is that list when the deployment has one
organisation (as before organisations); with several it is a page linking each organisation's
list with its number of channels, and `/registry.json` / `.csv` hold every organisation's
channels with an organisation column (bot.web.registry_lists).

The pages are plain HTML with a GET form, so they work without JavaScript; they show only the
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

from bot.web.registry_lists import (
    FORMATS,
    Scope,
    every_list_file,
    list_file,
    organisation_entries,
    organisation_of,
    read_every_list,
    read_list,
    scope_of,
)
from bot.web.registry_render import (
    CONTENT_SECURITY_POLICY,
    REGISTRY_PATH,
    ListPage,
    render_message,
    render_organisations,
    render_page,
)
from cards.i18n import Texts
from domain.organisations import Organisation, Organisations, single_organisation
from domain.policy import Policy
from domain.registry import FilterError, RegistryFilter, parse_filter
from storage.registry import registry_choices

CACHE_CONTROL = "public, max-age=300"

Sessions = async_sessionmaker[AsyncSession]

SessionSource = Sessions | Callable[[], Sessions]

_SLUG = "{slug:[^/.]+}"


def _sessions_of(source: SessionSource) -> Callable[[], Sessions]:
    """Accepts a session factory, or a function that returns one once the app has started."""
    if isinstance(source, async_sessionmaker):
        return lambda: source
    return source


class RegistryPage:
    """Serves the public lists in HTML, JSON and CSV with the same filter and fields."""

    def __init__(
        self, sessions: SessionSource, organisations: Organisations, language: str = "sv"
    ) -> None:
        self._sessions = _sessions_of(sessions)
        self._organisations = organisations
        self._texts = Texts(language)

    # --- /registry: the one list, or every organisation ---------------------------------------

    async def html(self, request: web.Request) -> web.StreamResponse:
        """GET /registry: the only organisation's list, or the page of every organisation."""
        only = self._organisations.default
        if only is not None:
            return await self._page(request, only, REGISTRY_PATH.lstrip("/"))
        try:
            _filter_of(request)
        except FilterError:
            return self._bad_request_page(REGISTRY_PATH.lstrip("/"))
        async with self._sessions()() as session:
            entries = await organisation_entries(session, self._organisations)
        body = render_organisations(entries, self._texts)
        return _cached(request, body, "text/html", CONTENT_SECURITY_POLICY)

    async def json(self, request: web.Request) -> web.StreamResponse:
        """GET /registry.json: the public fields as JSON."""
        return await self._file(request, self._organisations.default, "json")

    async def csv(self, request: web.Request) -> web.StreamResponse:
        """GET /registry.csv: the public fields as CSV for Swedish Excel (BOM, `;`)."""
        return await self._file(request, self._organisations.default, "csv")

    # --- /registry/{slug}: one organisation's list --------------------------------------------

    async def organisation_html(self, request: web.Request) -> web.StreamResponse:
        """GET /registry/{slug}: one organisation's list, or a 404 page for an unknown slug."""
        slug = request.match_info["slug"]
        organisation = self._organisations.by_slug(slug)
        if organisation is None:
            return self._not_found_page()
        return await self._page(request, organisation, slug, home=len(self._organisations) > 1)

    async def organisation_json(self, request: web.Request) -> web.StreamResponse:
        """GET /registry/{slug}.json: one organisation's list as JSON."""
        return await self._organisation_file(request, "json")

    async def organisation_csv(self, request: web.Request) -> web.StreamResponse:
        """GET /registry/{slug}.csv: one organisation's list as CSV."""
        return await self._organisation_file(request, "csv")

    # --- the answers ------------------------------------------------------------------------

    async def _page(
        self, request: web.Request, organisation: Organisation, base: str, *, home: bool = False
    ) -> web.StreamResponse:
        try:
            wanted = _filter_of(request)
            scope = scope_of(organisation, wanted.administration)
        except FilterError:
            return self._bad_request_page(base)
        async with self._sessions()() as session:
            channels = await read_list(session, scope, wanted, self._texts)
            choices = await registry_choices(session, organisation=organisation.slug)
        page = ListPage(
            base=base,
            responsible=scope.responsible,
            mailbox=scope.mailbox,
            administrations=tuple((a.slug, a.name) for a in organisation.administrations),
            organisation=organisation.name if home else None,
            home=f"../{REGISTRY_PATH.lstrip('/')}" if home else None,
        )
        body = render_page(channels, choices, wanted, texts=self._texts, page=page)
        return _cached(request, body, "text/html", CONTENT_SECURITY_POLICY)

    async def _organisation_file(self, request: web.Request, fmt: str) -> web.StreamResponse:
        organisation = self._organisations.by_slug(request.match_info["slug"])
        if organisation is None:
            message = self._texts("registry_page.not_found")
            return _problem(404, message, fmt)
        return await self._file(request, organisation, fmt)

    async def _file(
        self, request: web.Request, organisation: Organisation | None, fmt: str
    ) -> web.StreamResponse:
        """One organisation's list as a file, or (None) every organisation's."""
        texts = self._texts
        try:
            wanted = _filter_of(request)
            scope = scope_of(organisation, wanted.administration) if organisation else None
            async with self._sessions()() as session:
                if scope is not None:
                    body = list_file(await read_list(session, scope, wanted, texts), fmt, texts)
                else:
                    lists = await read_every_list(session, self._organisations, wanted, texts)
                    body = every_list_file(lists, fmt, texts)
        except FilterError as error:
            return _problem(400, str(error), fmt)
        response = _cached(request, body, _CONTENT_TYPES[fmt], public=True)
        if fmt == "csv":
            name = texts("registry_page.file_name")
            response.headers["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response

    def _bad_request_page(self, back: str) -> web.Response:
        texts = self._texts
        body = render_message(
            texts("registry_page.heading"), texts("registry_page.bad_request"), back, texts
        )
        return _uncached_page(400, body)

    def _not_found_page(self) -> web.Response:
        texts = self._texts
        body = render_message(
            texts("registry_page.heading"),
            texts("registry_page.not_found"),
            f"../{REGISTRY_PATH.lstrip('/')}",
            texts,
        )
        return _uncached_page(404, body)


_CONTENT_TYPES = {"json": "application/json", "csv": "text/csv"}


def registry_routes(
    sessions: SessionSource,
    policy: Policy,
    *,
    language: str = "sv",
    organisations: Organisations | None = None,
) -> list[web.RouteDef]:
    """The routes of the public lists; `sessions` may be a function read at request time.

    Without `organisations` the deployment is the policy's single organisation.
    """
    page = RegistryPage(sessions, organisations or single_organisation(policy), language)
    return [
        web.get(REGISTRY_PATH, page.html),
        web.get(f"{REGISTRY_PATH}.json", page.json),
        web.get(f"{REGISTRY_PATH}.csv", page.csv),
        web.get(f"{REGISTRY_PATH}/{_SLUG}", page.organisation_html),
        web.get(f"{REGISTRY_PATH}/{_SLUG}.json", page.organisation_json),
        web.get(f"{REGISTRY_PATH}/{_SLUG}.csv", page.organisation_csv),
    ]


async def export_registry(
    sessions: Sessions,
    policy: Policy,
    fmt: str,
    wanted: RegistryFilter | None = None,
    *,
    language: str = "sv",
    organisations: Organisations | None = None,
    organisation: str | None = None,
) -> str:
    """Returns a public list as `csv` or `json`, the same text the page serves.

    `organisation` (a slug) picks one organisation's list; without it, the only one's, or
    with several organisations every organisation's (as `/registry.json`). Raises ValueError
    for an unknown format, UnknownOrganisation and UnknownAdministration for unknown slugs.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown registry format {fmt!r}; use one of {', '.join(FORMATS)}")
    texts = Texts(language)
    deployment = organisations or single_organisation(policy)
    administration = wanted.administration if wanted is not None else None
    async with sessions() as session:
        if organisation is None and deployment.default is None and administration is None:
            lists = await read_every_list(session, deployment, wanted, texts)
            return every_list_file(lists, fmt, texts)
        scope: Scope = scope_of(organisation_of(deployment, organisation), administration)
        channels = await read_list(session, scope, wanted, texts)
    return list_file(channels, fmt, texts)


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


def _uncached_page(status: int, body: str) -> web.Response:
    return web.Response(
        status=status,
        text=body,
        content_type="text/html",
        headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY},
    )


def _problem(status: int, message: str, fmt: str) -> web.Response:
    """A 400 or 404 for a file: JSON `{"error": ...}`, or one line of text for CSV."""
    if fmt == "json":
        problem = json.dumps({"error": message}, ensure_ascii=False)
        return web.Response(status=status, text=problem, content_type="application/json")
    return web.Response(status=status, text=f"{message}\n")
