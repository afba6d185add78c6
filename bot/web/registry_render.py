"""The public list of channels (R8) rendered: the HTML page of one organisation's list (plain
HTML with a GET form, no JavaScript, one inline style allowed by its hash), the page listing
the organisations, and the CSV files.

Links are relative to the page (`registry`, `goteborg`, `../registry`), so the pages work
behind a proxy that serves the bot under a path of its own.
"""

from __future__ import annotations

import base64
import hashlib
import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from cards.i18n import Texts
from domain.registry import (
    FIELDS,
    OrganisationList,
    PublicChannel,
    RegistryFilter,
    swedish_key,
    to_csv,
    to_csv_by_organisation,
)
from storage.registry import RegistryChoices

REGISTRY_PATH = "/registry"


@dataclass(frozen=True)
class ListPage:
    """What the page of one organisation's list says and links around its table."""

    base: str  # the page's own address, relative to it: "registry", "goteborg"
    responsible: str  # who the intro says is responsible for the channels
    mailbox: str  # where questions about the list go
    # The organisation's administrations (slug, name): a filter when there are several.
    administrations: tuple[tuple[str, str], ...] = ()
    organisation: str | None = None  # its name, in the heading, when there are several
    home: str | None = None  # the page of every organisation, when there are several


@dataclass(frozen=True)
class OrganisationEntry:
    """One row of the page listing the organisations: a link and its number of channels."""

    slug: str
    name: str
    count: int


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

CONTENT_SECURITY_POLICY = (
    f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


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


def render_csv_by_organisation(lists: Sequence[OrganisationList], texts: Texts) -> str:
    """The CSV file of every organisation's list: an organisation column, then the fields."""
    headers = [texts(f"registry_page.column_{column}") for column in ("organisation", *FIELDS)]
    return to_csv_by_organisation(lists, headers, platform_labeller(texts))


def esc(text: str) -> str:
    """Text made safe for HTML, attributes included."""
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
        return esc(address)
    return esc(f"{scheme}://") + "/<wbr>".join(esc(part) for part in rest.split("/"))


def _options(values: Sequence[tuple[str, str]], chosen: str | None, everything: str) -> str:
    """The <option>s of a filter: "all" first, then the values; an unknown choice is kept."""
    known = {value for value, _ in values}
    pairs = [*values]
    if chosen is not None and chosen not in known:
        pairs.append((chosen, chosen))
    lines = [f'<option value=""{"" if chosen else " selected"}>{esc(everything)}</option>']
    for value, label in pairs:
        selected = " selected" if value == chosen else ""
        lines.append(f'<option value="{esc(value)}"{selected}>{esc(label)}</option>')
    return "\n".join(lines)


def _select(name: str, label: str, options: str) -> str:
    return f"""<div>
<label for="{name}">{esc(label)}</label>
<select id="{name}" name="{name}">
{options}
</select>
</div>"""


def _filter_form(
    choices: RegistryChoices, wanted: RegistryFilter, texts: Texts, page: ListPage
) -> str:
    label = platform_labeller(texts)
    units = [(unit, unit) for unit in choices.units]
    platforms = sorted(
        ((value, label(value)) for value in choices.platforms),
        key=lambda pair: (swedish_key(pair[1]), pair[0]),
    )
    reset = (
        f'<p><a href="{esc(page.base)}">{esc(texts("registry_page.filter_reset"))}</a></p>'
        if wanted.active
        else ""
    )
    selects = []
    if len(page.administrations) > 1:
        administrations = sorted(
            page.administrations, key=lambda pair: (swedish_key(pair[1]), pair[0])
        )
        options = _options(
            administrations, wanted.administration, texts("registry_page.all_administrations")
        )
        selects.append(
            _select("administration", texts("registry_page.filter_administration"), options)
        )
    selects.append(
        _select(
            "unit",
            texts("registry_page.filter_unit"),
            _options(units, wanted.unit, texts("registry_page.all_units")),
        )
    )
    selects.append(
        _select(
            "platform",
            texts("registry_page.filter_platform"),
            _options(platforms, wanted.platform, texts("registry_page.all_platforms")),
        )
    )
    fields = "\n".join(selects)
    return f"""<form method="get" class="filter">
<fieldset>
<legend>{esc(texts("registry_page.filter_legend"))}</legend>
{fields}
<div><button type="submit">{esc(texts("registry_page.filter_submit"))}</button></div>
</fieldset>
</form>
{reset}"""


def _caption(wanted: RegistryFilter, texts: Texts, page: ListPage) -> str:
    parts = []
    if wanted.administration is not None:
        name = dict(page.administrations).get(wanted.administration, wanted.administration)
        parts.append(texts("registry_page.selection_administration", administration=name))
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
    missing = f'<span class="missing">{esc(texts("registry_page.missing"))}</span>'
    if _is_web_address(channel.address):
        shown = _breakable(channel.address)
        address = f'<a href="{esc(channel.address)}" rel="noopener">{shown}</a>'
    else:
        address = esc(channel.address) or missing
    start = (
        f'<time datetime="{channel.start_date.isoformat()}">'
        f"{channel.start_date.isoformat()}</time>"
        if channel.start_date is not None
        else missing
    )
    cells = (
        f"<td>{esc(label(channel.platform))}</td>",
        f"<td>{esc(channel.name)}</td>",
        f"<td>{address}</td>",
        f"<td>{esc(channel.unit)}</td>",
        f"<td>{esc(channel.administration)}</td>",
        f"<td>{start}</td>",
    )
    return "<tr>" + "".join(cells) + "</tr>"


def _table(
    channels: Sequence[PublicChannel], wanted: RegistryFilter, texts: Texts, page: ListPage
) -> str:
    if not channels:
        key = "registry_page.empty_filtered" if wanted.active else "registry_page.empty"
        return f'<p class="empty" id="list">{esc(texts(key))}</p>'
    label = platform_labeller(texts)
    headings = "".join(
        f'<th scope="col">{esc(texts(f"registry_page.column_{column}"))}</th>' for column in FIELDS
    )
    rows = "\n".join(_row(channel, texts, label) for channel in channels)
    return f"""<div class="table-wrap" id="list" tabindex="0" role="region" \
aria-labelledby="caption">
<table>
<caption id="caption">{esc(_caption(wanted, texts, page))}</caption>
<thead><tr>{headings}</tr></thead>
<tbody>
{rows}
</tbody>
</table>
</div>"""


def _downloads(wanted: RegistryFilter, texts: Texts, base: str) -> str:
    chosen = (
        ("administration", wanted.administration),
        ("unit", wanted.unit),
        ("platform", wanted.platform),
    )
    query = urlencode({k: v for k, v in chosen if v})
    suffix = f"?{query}" if query else ""
    return (
        f"<p>{esc(texts('registry_page.downloads'))}: "
        f'<a href="{esc(f"{base}.csv{suffix}")}">{esc(texts("registry_page.download_csv"))}</a>'
        f' · <a href="{esc(f"{base}.json{suffix}")}">'
        f"{esc(texts('registry_page.download_json'))}</a></p>"
    )


def render_document(title: str, content: str, texts: Texts) -> str:
    """The HTML document around a page's content, with the one allowed style."""
    return f"""<!doctype html>
<html lang="{esc(texts.language)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}</title>
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
    page: ListPage,
) -> str:
    """The whole HTML page: heading, filter form, count, table (or empty state), downloads."""
    mailbox = page.mailbox
    contact = esc(texts("registry_page.contact", mailbox="\0")).replace(
        "\0", f'<a href="mailto:{esc(mailbox)}">{esc(mailbox)}</a>'
    )
    heading = (
        texts("registry_page.heading_organisation", organisation=page.organisation)
        if page.organisation
        else texts("registry_page.heading")
    )
    home = (
        f'<p><a href="{esc(page.home)}">{esc(texts("registry_page.all_organisations"))}</a></p>'
        if page.home
        else ""
    )
    content = f"""<a class="skip" href="#list">{esc(texts("registry_page.skip_link"))}</a>
<header>
<h1>{esc(heading)}</h1>
<p>{esc(texts("registry_page.intro", administration=page.responsible))}</p>
{home}
</header>
<main>
{_filter_form(choices, wanted, texts, page)}
<p class="count" id="count">{esc(_count(len(channels), texts))}</p>
{_table(channels, wanted, texts, page)}
{_downloads(wanted, texts, page.base)}
</main>
<footer><p>{contact}</p></footer>"""
    return render_document(texts("registry_page.page_title"), content, texts)


def render_organisations(entries: Sequence[OrganisationEntry], texts: Texts) -> str:
    """The page of a deployment with several organisations: each one's list and its count."""
    base = REGISTRY_PATH.lstrip("/")
    rows = "\n".join(
        f'<tr><td><a href="{esc(f"{base}/{entry.slug}")}">{esc(entry.name)}</a></td>'
        f"<td>{entry.count}</td></tr>"
        for entry in entries
    )
    content = f"""<a class="skip" href="#list">{esc(texts("registry_page.skip_link"))}</a>
<header>
<h1>{esc(texts("registry_page.heading"))}</h1>
<p>{esc(texts("registry_page.organisations_intro"))}</p>
</header>
<main>
<div class="table-wrap" id="list" tabindex="0" role="region" aria-labelledby="caption">
<table>
<caption id="caption">{esc(texts("registry_page.organisations_caption"))}</caption>
<thead><tr><th scope="col">{esc(texts("registry_page.column_organisation"))}</th>\
<th scope="col">{esc(texts("registry_page.column_count"))}</th></tr></thead>
<tbody>
{rows}
</tbody>
</table>
</div>
{_downloads(RegistryFilter(), texts, base)}
</main>"""
    return render_document(texts("registry_page.page_title"), content, texts)


def render_message(title: str, message: str, back: str, texts: Texts) -> str:
    """A page that says why there is no list here (a bad filter, an unknown address)."""
    content = f"""<main>
<h1>{esc(title)}</h1>
<p>{esc(message)}</p>
<p><a href="{esc(back)}">{esc(texts("registry_page.back"))}</a></p>
</main>"""
    return render_document(texts("registry_page.page_title"), content, texts)
