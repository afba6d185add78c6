"""Existing channels from a CSV file (R8, R12): parsing and validation, all rows first.

Accepts UTF-8 (with or without BOM) and the Windows-1252 text Swedish Excel writes, separated
by `;` (Swedish Excel) or `,`. Headers may be Swedish or English. A file with any error
imports nothing; every error names its line.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date

from domain.channel_request import PLATFORM_DOMAINS, Platform, validate_address
from domain.dates import add_months

HEADERS: dict[str, tuple[str, ...]] = {
    "platform": ("platform", "plattform"),
    "name": ("name", "namn", "kanal", "kanalens namn"),
    "address": ("address", "adress", "url", "länk"),
    "unit": ("unit", "enhet", "verksamhet"),
    "manager": ("manager", "chef", "ansvarig chef", "enhetschef"),
    "editors": ("editors", "redaktörer", "redaktorer"),
    "start_date": ("start date", "start_date", "startdatum", "start"),
    "last_documented": (
        "last documentation",
        "last_documented",
        "senast dokumenterad",
        "senaste dokumentation",
    ),
}
REQUIRED = ("platform", "name", "address", "unit", "manager", "editors", "start_date")
_EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")
_PLATFORM_NAMES = {p.value: p for p in Platform} | {
    "twitter": Platform.X,
    "annan": Platform.OTHER,
    "övrig": Platform.OTHER,
}


@dataclass(frozen=True)
class ImportRow:
    """One valid channel row, with its line in the file."""

    line: int
    platform: Platform
    name: str
    address: str
    unit: str
    manager: str  # e-mail or UPN, lower case
    editors: tuple[str, ...]  # e-mails or UPNs, lower case
    start_date: date
    last_documented: date | None

    def next_documentation_due(self, interval_months: int) -> date:
        """R12: the last documentation (or the start) plus the policy's interval."""
        return add_months(self.last_documented or self.start_date, interval_months)


@dataclass(frozen=True)
class ImportError_:
    """A problem on one line (line 1 is the header)."""

    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.message}"


def decode(data: bytes) -> str:
    """Decodes UTF-8 (BOM or not), else the Windows-1252 that Swedish Excel writes."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252")


def _columns(header: list[str]) -> tuple[dict[str, int], list[ImportError_]]:
    known = {alias: field for field, aliases in HEADERS.items() for alias in aliases}
    columns: dict[str, int] = {}
    errors = []
    for index, title in enumerate(header):
        field = known.get(" ".join(title.strip().casefold().split()))
        if field is not None:
            columns[field] = index
    for field in REQUIRED:
        if field not in columns:
            errors.append(ImportError_(1, field, f"missing column ({' / '.join(HEADERS[field])})"))
    return columns, errors


def _date(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        return None


def _people(raw: str) -> list[str]:
    return [p.strip().lower() for p in re.split(r"[,;|\n]", raw) if p.strip()]


def parse_channels(text: str, *, today: date) -> tuple[list[ImportRow], list[ImportError_]]:
    """Reads and validates every row; returns the rows, or every error with its line."""
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        return [], [ImportError_(1, "file", "the file is empty")]
    columns, errors = _columns(header)
    if errors:
        return [], errors
    rows: list[ImportRow] = []
    seen: dict[tuple[Platform, str], int] = {}
    for record in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in record):
            continue
        row, row_errors = _row(line, record, columns, today)
        errors.extend(row_errors)
        if row is None:
            continue
        key = (row.platform, row.address.lower().rstrip("/"))
        if key in seen:
            errors.append(ImportError_(line, "address", f"the same channel as line {seen[key]}"))
            continue
        seen[key] = line
        rows.append(row)
    return (rows, []) if not errors else ([], errors)


def _row(
    line: int, record: list[str], columns: dict[str, int], today: date
) -> tuple[ImportRow | None, list[ImportError_]]:
    def cell(field: str) -> str:
        index = columns.get(field)
        return record[index].strip() if index is not None and index < len(record) else ""

    errors: list[ImportError_] = []
    for field in REQUIRED:
        if not cell(field):
            errors.append(ImportError_(line, field, "required"))
    platform = _PLATFORM_NAMES.get(cell("platform").casefold())
    if cell("platform") and platform is None:
        choices = ", ".join(p.value for p in PLATFORM_DOMAINS)
        errors.append(ImportError_(line, "platform", f"unknown platform (one of {choices})"))
    address = None
    if platform is not None and cell("address"):
        address, problem = validate_address(platform, cell("address"))
        if problem is not None:
            errors.append(ImportError_(line, "address", f"not a valid address ({problem.code})"))
    if len(cell("name")) > 100:
        errors.append(ImportError_(line, "name", "longer than 100 characters"))
    if len(cell("unit")) > 120:
        errors.append(ImportError_(line, "unit", "longer than 120 characters"))
    manager = cell("manager").lower()
    if manager and not _EMAIL.match(manager):
        errors.append(ImportError_(line, "manager", "not an e-mail address or UPN"))
    editors = _people(cell("editors"))
    for editor in editors:
        if not _EMAIL.match(editor):
            errors.append(ImportError_(line, "editors", f"not an e-mail address: {editor}"))
    start = _date(cell("start_date"))
    if cell("start_date") and start is None:
        errors.append(ImportError_(line, "start_date", "not a date (YYYY-MM-DD)"))
    elif start is not None and start > today:
        errors.append(ImportError_(line, "start_date", "in the future"))
    last = _date(cell("last_documented")) if cell("last_documented") else None
    if cell("last_documented") and last is None:
        errors.append(ImportError_(line, "last_documented", "not a date (YYYY-MM-DD)"))
    elif last is not None and (last > today or (start is not None and last < start)):
        errors.append(ImportError_(line, "last_documented", "not between the start and today"))
    if errors or platform is None or address is None or start is None:
        return None, errors
    return ImportRow(
        line=line,
        platform=platform,
        name=cell("name"),
        address=address,
        unit=cell("unit"),
        manager=manager,
        editors=tuple(dict.fromkeys(editors)),
        start_date=start,
        last_documented=last,
    ), []
