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
FILTER_LIMITS = {"unit": 120, "platform": 32}
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
    """Which rows to show; None means every unit or every platform."""

    unit: str | None = None
    platform: str | None = None

    @property
    def active(self) -> bool:
        """Tells whether the filter narrows the list at all."""
        return self.unit is not None or self.platform is not None


def parse_filter(
    query: Mapping[str, Sequence[str]], *, max_query_length: int = 1024
) -> RegistryFilter:
    """Reads `unit` and `platform` from query values; an empty value means "all".

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
    return RegistryFilter(unit=chosen["unit"], platform=chosen["platform"])


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


def to_json(channels: Sequence[PublicChannel], platform_label: Callable[[str], str]) -> str:
    """The list as JSON: {"count", "channels": [public fields + the platform's label]}."""
    records: list[dict[str, Any]] = [
        {
            "platform": c.platform,
            "platform_label": platform_label(c.platform),
            "name": c.name,
            "address": c.address,
            "unit": c.unit,
            "administration": c.administration,
            "start_date": c.start_date.isoformat() if c.start_date is not None else None,
        }
        for c in channels
    ]
    document = {"count": len(records), "channels": records}
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def _cell(value: str) -> str:
    """Defuses a cell that Excel would evaluate as a formula."""
    return f"'{value}" if value.startswith(_FORMULA_STARTS) else value


def to_csv(
    channels: Sequence[PublicChannel],
    headers: Sequence[str],
    platform_label: Callable[[str], str],
) -> str:
    """The list as CSV for Swedish Excel: BOM, `;`, CRLF, headers in the order of FIELDS."""
    if len(headers) != len(FIELDS):
        raise ValueError(f"CSV needs {len(FIELDS)} headers, got {len(headers)}")
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=CSV_SEPARATOR, lineterminator="\r\n")
    writer.writerow([_cell(header) for header in headers])
    for c in channels:
        row = (
            platform_label(c.platform),
            c.name,
            c.address,
            c.unit,
            c.administration,
            _iso(c.start_date),
        )
        writer.writerow([_cell(value) for value in row])
    return CSV_BOM + buffer.getvalue()
