"""The public list of social media channels (R8): `GET /registry` (HTML), `.json`, `.csv`.

The page is plain HTML with a GET form, so it works without JavaScript; it shows only the
public fields (see domain.registry). Every answer may be cached for five minutes and carries
an ETag of its body, so a repeated request with `If-None-Match` gets 304 and no body.
`export_registry` gives the CLI (`kanalkollen registry export`) the same files.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
from collections.abc import Callable, Sequence
from urllib.parse import urlencode, urlsplit

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cards.i18n import Texts
from domain.policy import Policy
from domain.registry import (
    FIELDS,
    FilterError,
    PublicChannel,
    RegistryFilter,
    in_registry_order,
    parse_filter,
    swedish_key,
    to_csv,
    to_json,
)
from storage.registry import RegistryChoices, public_channels, registry_choices

REGISTRY_PATH = "/registry"
CACHE_CONTROL = "public, max-age=300"
FORMATS = ("csv", "json")

Sessions = async_sessionmaker[AsyncSession]
SessionSource = Sessions | Callable[[], Sessions]

# WCAG 2.1 AA: text #1b1b1b and links #0a4b87 on white (17:1, 8.6:1); borders #6b6b6b (5:1);
# a 3px outline shows the focus on every control and link.
_STYLE = """
*{box-sizing:border-box}
body{margin:0;font:1rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;
color:#1b1b1b;background:#fff}
main,header,footer{max-width:72rem;margin:0 auto;padding:0 1rem}
h1{font-size:1.75rem;margin:1.5rem 0 .5rem}
a{color:#0a4b87}
a:focus-visible,button:focus-visible,select:focus-visible,.table-wrap:focus-visible{
outline:3px solid #1b1b1b;outline-offset:2px}
.skip{position:absolute;left:-999px;top:0;background:#fff;padding:.5rem}
.skip:focus{left:1rem}
fieldset{border:1px solid #6b6b6b;padding:.75rem 1rem;margin:1rem 0;display:flex;
flex-wrap:wrap;gap:.75rem 1.5rem;align-items:flex-end}
legend{font-weight:600;padding:0 .25rem}
label{display:block;font-weight:600}
select{font:inherit;color:#1b1b1b;background:#fff;border:1px solid #6b6b6b;
padding:.35rem .5rem;min-width:14rem}
button{font:inherit;color:#fff;background:#0a4b87;border:2px solid #0a4b87;
padding:.35rem 1.25rem;cursor:pointer}
.count{font-weight:600;margin:1rem 0 .5rem}
.table-wrap{overflow-x:auto}
table{border-collapse:collapse;width:100%}
caption{text-align:left;font-weight:600;font-size:1.125rem;padding:.5rem 0}
th,td{text-align:left;vertical-align:top;padding:.5rem .75rem;border-bottom:1px solid #6b6b6b}
thead th{background:#f0f0f0;border-bottom:2px solid #1b1b1b}
tbody tr:nth-child(even){background:#f7f7f7}
td a{overflow-wrap:break-word}
footer{margin:2rem auto;color:#1b1b1b}
"""
_STYLE_HASH = base64.b64encode(hashlib.sha256(_STYLE.encode("utf-8")).digest()).decode("ascii")
# Nothing runs on the page: no scripts, no frames; the form submits only to this site.
_CONTENT_SECURITY_POLICY = (
    f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


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
        return _cached(request, body, "text/html", _CONTENT_SECURITY_POLICY)

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


def platform_labeller(texts: Texts) -> Callable[[str], str]:
    """Returns the catalog's name of a platform value; an unknown value is shown as it is."""

    def label(value: str) -> str:
        try:
            return texts(f"platform.{value}")
        except KeyError:
            return value

    return label


def render_csv(channels: Sequence[PublicChannel], texts: Texts) -> str:
    """The CSV file with the catalog's column headers."""
    headers = [texts(f"registry_page.column_{column}") for column in FIELDS]
    return to_csv(channels, headers, platform_labeller(texts))


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


# --- HTML -----------------------------------------------------------------------------------


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _is_web_address(address: str) -> bool:
    """Only http(s) addresses become links: never javascript: or data: from imported data."""
    try:
        parts = urlsplit(address)
    except ValueError:
        return False
    return parts.scheme.lower() in {"http", "https"} and bool(parts.netloc)


def _breakable(address: str) -> str:
    """Escapes an address and lets a narrow column wrap it after a slash, not mid-word."""
    scheme, separator, rest = address.partition("://")
    if not separator:
        return _e(address)
    return _e(f"{scheme}://") + "/<wbr>".join(_e(part) for part in rest.split("/"))


def _options(values: Sequence[tuple[str, str]], chosen: str | None, everything: str) -> str:
    """The <option>s of a filter: "all" first, then the values; an unknown choice is kept."""
    known = {value for value, _ in values}
    pairs = [*values]
    if chosen is not None and chosen not in known:
        pairs.append((chosen, chosen))
    lines = [f'<option value=""{"" if chosen else " selected"}>{_e(everything)}</option>']
    for value, label in pairs:
        selected = " selected" if value == chosen else ""
        lines.append(f'<option value="{_e(value)}"{selected}>{_e(label)}</option>')
    return "\n".join(lines)


def _filter_form(choices: RegistryChoices, wanted: RegistryFilter, texts: Texts) -> str:
    label = platform_labeller(texts)
    units = [(unit, unit) for unit in choices.units]
    platforms = sorted(
        ((value, label(value)) for value in choices.platforms),
        key=lambda pair: (swedish_key(pair[1]), pair[0]),
    )
    reset = (
        f'<p><a href="{REGISTRY_PATH.lstrip("/")}">{_e(texts("registry_page.filter_reset"))}'
        "</a></p>"
        if wanted.active
        else ""
    )
    return f"""<form method="get" class="filter">
<fieldset>
<legend>{_e(texts("registry_page.filter_legend"))}</legend>
<div>
<label for="unit">{_e(texts("registry_page.filter_unit"))}</label>
<select id="unit" name="unit">
{_options(units, wanted.unit, texts("registry_page.all_units"))}
</select>
</div>
<div>
<label for="platform">{_e(texts("registry_page.filter_platform"))}</label>
<select id="platform" name="platform">
{_options(platforms, wanted.platform, texts("registry_page.all_platforms"))}
</select>
</div>
<div><button type="submit">{_e(texts("registry_page.filter_submit"))}</button></div>
</fieldset>
</form>
{reset}"""


def _caption(wanted: RegistryFilter, texts: Texts) -> str:
    parts = []
    if wanted.unit is not None:
        parts.append(texts("registry_page.selection_unit", unit=wanted.unit))
    if wanted.platform is not None:
        platform = platform_labeller(texts)(wanted.platform)
        parts.append(texts("registry_page.selection_platform", platform=platform))
    if not parts:
        return texts("registry_page.caption")
    return texts("registry_page.caption_filtered", selection=", ".join(parts))


def _count(number: int, texts: Texts) -> str:
    if number == 0:
        return texts("registry_page.count_none")
    if number == 1:
        return texts("registry_page.count_one")
    return texts("registry_page.count_other", count=number)


def _row(channel: PublicChannel, texts: Texts, label: Callable[[str], str]) -> str:
    missing = f'<span class="missing">{_e(texts("registry_page.missing"))}</span>'
    if _is_web_address(channel.address):
        shown = _breakable(channel.address)
        address = f'<a href="{_e(channel.address)}" rel="noopener">{shown}</a>'
    else:
        address = _e(channel.address) or missing
    start = (
        f'<time datetime="{channel.start_date.isoformat()}">'
        f"{channel.start_date.isoformat()}</time>"
        if channel.start_date is not None
        else missing
    )
    cells = (
        f"<td>{_e(label(channel.platform))}</td>",
        f"<td>{_e(channel.name)}</td>",
        f"<td>{address}</td>",
        f"<td>{_e(channel.unit)}</td>",
        f"<td>{_e(channel.administration)}</td>",
        f"<td>{start}</td>",
    )
    return "<tr>" + "".join(cells) + "</tr>"


def _table(channels: Sequence[PublicChannel], wanted: RegistryFilter, texts: Texts) -> str:
    if not channels:
        key = "registry_page.empty_filtered" if wanted.active else "registry_page.empty"
        return f'<p class="empty" id="list">{_e(texts(key))}</p>'
    label = platform_labeller(texts)
    headings = "".join(
        f'<th scope="col">{_e(texts(f"registry_page.column_{column}"))}</th>' for column in FIELDS
    )
    rows = "\n".join(_row(channel, texts, label) for channel in channels)
    return f"""<div class="table-wrap" id="list" tabindex="0" role="region" \
aria-labelledby="caption">
<table>
<caption id="caption">{_e(_caption(wanted, texts))}</caption>
<thead><tr>{headings}</tr></thead>
<tbody>
{rows}
</tbody>
</table>
</div>"""


def _downloads(wanted: RegistryFilter, texts: Texts) -> str:
    query = urlencode(
        {k: v for k, v in (("unit", wanted.unit), ("platform", wanted.platform)) if v}
    )
    suffix = f"?{query}" if query else ""
    base = REGISTRY_PATH.lstrip("/")
    return (
        f"<p>{_e(texts('registry_page.downloads'))}: "
        f'<a href="{_e(f"{base}.csv{suffix}")}">{_e(texts("registry_page.download_csv"))}</a>'
        f' · <a href="{_e(f"{base}.json{suffix}")}">'
        f"{_e(texts('registry_page.download_json'))}</a></p>"
    )


def _document(title: str, content: str, texts: Texts) -> str:
    return f"""<!doctype html>
<html lang="{_e(texts.language)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}</title>
<style>{_STYLE}</style>
</head>
<body>
{content}
</body>
</html>
"""


def render_page(
    channels: Sequence[PublicChannel],
    choices: RegistryChoices,
    wanted: RegistryFilter,
    *,
    texts: Texts,
    policy: Policy,
) -> str:
    """The whole HTML page: heading, filter form, count, table (or empty state), downloads."""
    administration = policy.registry.administration
    mailbox = policy.registry.mailbox
    contact = _e(texts("registry_page.contact", mailbox="\0")).replace(
        "\0", f'<a href="mailto:{_e(mailbox)}">{_e(mailbox)}</a>'
    )
    content = f"""<a class="skip" href="#list">{_e(texts("registry_page.skip_link"))}</a>
<header>
<h1>{_e(texts("registry_page.heading"))}</h1>
<p>{_e(texts("registry_page.intro", administration=administration))}</p>
</header>
<main>
{_filter_form(choices, wanted, texts)}
<p class="count" id="count">{_e(_count(len(channels), texts))}</p>
{_table(channels, wanted, texts)}
{_downloads(wanted, texts)}
</main>
<footer><p>{contact}</p></footer>"""
    return _document(texts("registry_page.page_title"), content, texts)


def _bad_request_page(texts: Texts) -> web.Response:
    content = f"""<main>
<h1>{_e(texts("registry_page.heading"))}</h1>
<p>{_e(texts("registry_page.bad_request"))}</p>
<p><a href="{REGISTRY_PATH.lstrip("/")}">{_e(texts("registry_page.back"))}</a></p>
</main>"""
    body = _document(texts("registry_page.page_title"), content, texts)
    return web.Response(
        status=400,
        text=body,
        content_type="text/html",
        headers={"Content-Security-Policy": _CONTENT_SECURITY_POLICY},
    )
