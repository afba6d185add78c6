"""The public list of social media channels (R8): its record, order, filter and file formats.

Only the public fields exist here (platform, name, address, unit, responsible administration,
start date); a record cannot carry editors, requester, manager, login reference or consents,
so no serialisation below can leak them.

CSV is written for Swedish Excel: UTF-8 with a byte order mark (without it Excel reads the
file as Windows-1252 and mangles å, ä, ö), `;` as separator (Excel in a Swedish locale expects
`;` because `,` is the decimal mark), CRLF line ends, ISO dates. Cells that Excel would run as
a formula (starting with =, +, -, @, tab or CR) get a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

# The public fields, in the order of every table, file and column list.
FIELDS = ("platform", "name", "address", "unit", "administration", "start_date")
# Query values longer than the stored columns cannot match anything; longer is a bad request.
FILTER_LIMITS = {"unit": 120, "platform": 32, "administration": 63}
CSV_BOM = "\ufeff"
CSV_SEPARATOR = ";"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Swedish alphabetical order: å, ä, ö come after z; é sorts as e, ü as y, æ as ä, ø as ö.
_SWEDISH = str.maketrans({"å": "{", "ä": "|", "ö": "}", "æ": "|", "ø": "}", "ü": "y"})


class FilterError(ValueError):
    """A query that is not a filter of the public list (too long, repeated, control chars)."""


@dataclass(frozen=True)
class PublicChannel:
    """One row of the public list: the public fields of an active channel and nothing else."""

    platform: str  # the platform's value, e.g. "instagram"; labels come from the catalog
    name: str
    address: str
    unit: str
    administration: str
    start_date: date | None


@dataclass(frozen=True)
class RegistryFilter:
    """Which rows to show; None means every unit, platform or administration (its slug)."""

    unit: str | None = None
    platform: str | None = None
    administration: str | None = None

    @property
    def active(self) -> bool:
        """Tells whether the filter narrows the list at all."""
        return any(value is not None for value in (self.unit, self.platform, self.administration))


def parse_filter(
    query: Mapping[str, Sequence[str]], *, max_query_length: int = 1024
) -> RegistryFilter:
    """Reads `unit`, `platform` and `administration` from query values; empty means "all".

    Unknown parameters are ignored (links get tracking parameters added); an unknown value is
    a valid filter that matches nothing. Raises FilterError for what no form ever sends.
    """
    length = sum(len(key) + len(value) + 2 for key, values in query.items() for value in values)
    if length > max_query_length:
        raise FilterError("the query is too long")
    chosen: dict[str, str | None] = {}
    for name, limit in FILTER_LIMITS.items():
        values = list(query.get(name, ()))
        if len(values) > 1:
            raise FilterError(f"'{name}' is given more than once")
        value = values[0].strip() if values else ""
        if len(value) > limit:
            raise FilterError(f"'{name}' is longer than {limit} characters")
        if any(unicodedata.category(char) in {"Cc", "Cs"} or char == "\ufffd" for char in value):
            raise FilterError(f"'{name}' contains characters that are not text")
        chosen[name] = value or None
    return RegistryFilter(
        unit=chosen["unit"], platform=chosen["platform"], administration=chosen["administration"]
    )


def swedish_key(text: str) -> str:
    """A sort key in Swedish alphabetical order, ignoring case and accents other than å ä ö."""
    folded = unicodedata.normalize("NFC", text.casefold()).translate(_SWEDISH)
    decomposed = unicodedata.normalize("NFD", folded)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def in_registry_order(
    channels: Iterable[PublicChannel], platform_label: Callable[[str], str] = str
) -> list[PublicChannel]:
    """Sorts by unit, platform (as shown) and name, in Swedish alphabetical order."""
    return sorted(
        channels,
        key=lambda c: (
            swedish_key(c.unit),
            swedish_key(platform_label(c.platform)),
            swedish_key(c.name),
            c.name,
            c.address,
        ),
    )


def _iso(value: date | None) -> str:
    return value.isoformat() if value is not None else ""


@dataclass(frozen=True)
class OrganisationList:
    """The public list of one organisation, for the files of every organisation's channels."""

    slug: str
    name: str
    channels: Sequence[PublicChannel]


def _record(c: PublicChannel, platform_label: Callable[[str], str]) -> dict[str, Any]:
    return {
        "platform": c.platform,
        "platform_label": platform_label(c.platform),
        "name": c.name,
        "address": c.address,
        "unit": c.unit,
        "administration": c.administration,
        "start_date": c.start_date.isoformat() if c.start_date is not None else None,
    }


def to_json(channels: Sequence[PublicChannel], platform_label: Callable[[str], str]) -> str:
    """The list as JSON: {"count", "channels": [public fields + the platform's label]}."""
    records = [_record(c, platform_label) for c in channels]
    document = {"count": len(records), "channels": records}
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def to_json_by_organisation(
    lists: Sequence[OrganisationList], platform_label: Callable[[str], str]
) -> str:
    """Every organisation's list as JSON: {"count", "organisations", "channels"}.

    Each channel gets `organisation` (the slug) and `organisation_name` before its public
    fields; `organisations` gives each organisation's slug, name and count.
    """
    records = [
        {"organisation": o.slug, "organisation_name": o.name, **_record(c, platform_label)}
        for o in lists
        for c in o.channels
    ]
    document = {
        "count": len(records),
        "organisations": [
            {"slug": o.slug, "name": o.name, "count": len(o.channels)} for o in lists
        ],
        "channels": records,
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def spreadsheet_cell(value: str) -> str:
    """Defuses a cell that Excel would evaluate as a formula (=, +, -, @, tab, CR first).

    The one guard of every CSV the bot writes: the public list's and the consent register's.
    """
    return f"'{value}" if value.startswith(_FORMULA_STARTS) else value


def _csv_row(c: PublicChannel, platform_label: Callable[[str], str]) -> tuple[str, ...]:
    return (
        platform_label(c.platform),
        c.name,
        c.address,
        c.unit,
        c.administration,
        _iso(c.start_date),
    )


def _csv_text(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=CSV_SEPARATOR, lineterminator="\r\n")
    writer.writerow([spreadsheet_cell(header) for header in headers])
    writer.writerows([spreadsheet_cell(value) for value in row] for row in rows)
    return CSV_BOM + buffer.getvalue()


def to_csv(
    channels: Sequence[PublicChannel],
    headers: Sequence[str],
    platform_label: Callable[[str], str],
) -> str:
    """The list as CSV for Swedish Excel: BOM, `;`, CRLF, headers in the order of FIELDS."""
    if len(headers) != len(FIELDS):
        raise ValueError(f"CSV needs {len(FIELDS)} headers, got {len(headers)}")
    return _csv_text(headers, (_csv_row(c, platform_label) for c in channels))


def to_csv_by_organisation(
    lists: Sequence[OrganisationList],
    headers: Sequence[str],
    platform_label: Callable[[str], str],
) -> str:
    """Every organisation's list as CSV: the organisation's name first, then FIELDS."""
    if len(headers) != len(FIELDS) + 1:
        raise ValueError(f"CSV needs {len(FIELDS) + 1} headers, got {len(headers)}")
    return _csv_text(
        headers, ((o.name, *_csv_row(c, platform_label)) for o in lists for c in o.channels)
    )
