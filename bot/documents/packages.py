"""The records packages: a zip of the files with an index for the records officer.

Used for the half-yearly documentation (R12), for closing a channel (R13, `purpose`
"closing": the platform's export and the final screenshots) and for the capture kept before a
removal (R11, `purpose` "capture") where the policy says `records.package_format = "zip"`; the
default is an E-ARK SIP (bot/documents/eark/).

The zip holds `index.json`, `index.txt` and the files under `files/`. Its bytes depend only on
the input: every entry has the completion time as its timestamp (wall-clock time in
`completed_at`'s own time zone, as zip stores no zone), fixed permissions, and a sorted place.
The screenshots are stored as they are (PNG, JPEG and PDF are compressed already); the index
is deflated.

A page Kanalkollen captured itself (R12, bot/capture/) comes as three files: the full-page PNG,
a PDF of the page and a WARC of what the browser received (replayable, e.g. in pywb or
ReplayWeb.page). Their index entries add the address, the time of the capture and the HTTP
status in `capture`.

A file's data is bytes, or a Path to a file on disk: `write_package` copies those in chunks into
a zip file, so a package of many large files is never held in memory (chat_records.py streams
the stored files to a temporary folder and the package from it to the store). Both give the
same bytes.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, BinaryIO

from bot.documents.eark.names import unique_name
from bot.documents.package_zip import Data, head_of, sha256_of, size_of, write_entry, zip_time
from bot.teams.uploads import sniff_content_type
from storage.files import safe_filename

INDEX_JSON = "index.json"
INDEX_TXT = "index.txt"
FILES_FOLDER = "files/"
PACKAGE_FORMAT = "kanalkollen-documentation-package/1"
_RULES = {"documentation": "R12", "closing": "R13", "capture": "R11"}


@dataclass(frozen=True)
class _Entry:
    """A file as it goes into the package."""

    path: str  # files/<unique name>
    data: Data
    sha256: str
    start_page: bool
    capture: dict[str, Any] | None = None


def build_package(
    *,
    channel_name: str,
    platform: str,
    unit: str,
    period_due: date,
    completed_by: str,
    completed_at: datetime,
    note: str | None,
    files: list[tuple[str, Data, str]] | list[tuple[str, Data, str, dict[str, Any] | None]],
    start_page: str | None,
    purpose: str = "documentation",
) -> bytes:
    """Returns the zip of the files (filename, data, SHA-256 hex, and for a capture its facts:
    address, captured_at, http_status, content_type) with index.json and index.txt."""
    buffer = io.BytesIO()
    write_package(
        buffer,
        channel_name=channel_name,
        platform=platform,
        unit=unit,
        period_due=period_due,
        completed_by=completed_by,
        completed_at=completed_at,
        note=note,
        files=files,
        start_page=start_page,
        purpose=purpose,
    )
    return buffer.getvalue()


def write_package(
    out: BinaryIO,
    *,
    channel_name: str,
    platform: str,
    unit: str,
    period_due: date,
    completed_by: str,
    completed_at: datetime,
    note: str | None,
    files: list[Any],
    start_page: str | None,
    purpose: str = "documentation",
) -> None:
    """Writes the package's zip to `out` (a seekable file); a file's data may be a Path, read
    in chunks. The same input gives the same bytes as `build_package`."""
    if completed_at.tzinfo is None or completed_at.utcoffset() is None:
        raise ValueError("completed_at must know its time zone")
    if not files:
        raise ValueError("a records package needs at least one file")
    if start_page is not None and start_page not in {file[0] for file in files}:
        raise ValueError("the start page is not one of the files")
    entries = _entries(files, start_page)
    index = {
        "format": PACKAGE_FORMAT.replace("documentation", purpose),
        "purpose": purpose,
        "channel": channel_name,
        "platform": platform,
        "unit": unit,
        "period_due": period_due.isoformat(),
        "completed_by": completed_by,
        "completed_at": completed_at.isoformat(),
        "note": note,
        "start_page": next((e.path for e in entries if e.start_page), None),
        "files": [_describe(entry) for entry in entries],
    }
    stamp = zip_time(completed_at)
    with zipfile.ZipFile(out, "w") as archive:
        index_json = json.dumps(index, ensure_ascii=False, indent=2) + "\n"
        for name, text in ((INDEX_JSON, index_json), (INDEX_TXT, _index_text(index))):
            write_entry(archive, name, text.encode("utf-8"), stamp, zipfile.ZIP_DEFLATED)
        for entry in entries:
            write_entry(archive, entry.path, entry.data, stamp, zipfile.ZIP_STORED)


def _entries(files: list[Any], start_page: str | None) -> list[_Entry]:
    """Checks each file's SHA-256, gives it a unique safe name, and sorts them by name."""
    start_index = next((i for i, file in enumerate(files) if file[0] == start_page), None)
    named = []
    captures: dict[int, dict[str, Any] | None] = {}
    for position, (filename, data, sha256, *facts) in enumerate(files):
        if sha256_of(data) != sha256.lower():
            raise ValueError(f"the SHA-256 of file {position + 1} does not match its data")
        named.append((safe_filename(filename), sha256.lower(), position, data))
        captures[position] = facts[0] if facts else None
    # Sorting by name and checksum first makes the numbering of equal names independent of
    # the order the files came in.
    named.sort(key=lambda item: (item[0].casefold(), item[0], item[1], item[2]))
    taken: set[str] = set()
    entries = []
    for name, sha256, position, data in named:
        unique = _unique(name, taken)
        taken.add(unique.casefold())  # unzipping on Windows or macOS folds case
        entries.append(
            _Entry(
                FILES_FOLDER + unique, data, sha256, position == start_index, captures[position]
            )
        )
    return sorted(entries, key=lambda entry: entry.path)


def _unique(name: str, taken: set[str]) -> str:
    """Returns the name, or "name (2).ext", "name (3).ext" ... if it is taken."""
    return unique_name(name, taken, numbered="{stem} ({number})")


def _describe(entry: _Entry) -> dict[str, Any]:
    """The index's record of one file."""
    described: dict[str, Any] = {
        "path": entry.path,
        "name": entry.path.removeprefix(FILES_FOLDER),
        "size": size_of(entry.data),
        "sha256": entry.sha256,
        "content_type": sniff_content_type(head_of(entry.data), archives=True)
        or (entry.capture or {}).get("content_type")
        or "application/octet-stream",
        "start_page": entry.start_page,
    }
    if entry.capture is not None:
        described["capture"] = {
            "by": "Kanalkollen",
            "address": entry.capture.get("address"),
            "captured_at": entry.capture.get("captured_at"),
            "http_status": entry.capture.get("http_status"),
        }
    return described


def _index_text(index: dict[str, Any]) -> str:
    """The index for people: the same facts as index.json, one per line."""
    lines = [
        f"Kanalkollen {index['purpose']} package ({_RULES.get(index['purpose'], 'R13')})",
        "",
        f"Channel:       {index['channel']}",
        f"Platform:      {index['platform']}",
        f"Unit:          {index['unit']}",
        f"Due:           {index['period_due']}",
        f"Completed by:  {index['completed_by']}",
        f"Completed at:  {index['completed_at']}",
        f"Start page:    {index['start_page'] or '-'}",
    ]
    note_lines = (index["note"] or "-").splitlines() or ["-"]
    lines.append(f"Note:          {note_lines[0]}")
    lines += [f"               {line}" for line in note_lines[1:]]
    lines += ["", f"Files ({len(index['files'])}):"]
    for file in index["files"]:
        marker = "  (start page)" if file["start_page"] else ""
        lines += [
            "",
            f"  {file['path']}{marker}",
            f"    Size:     {file['size']} bytes",
            f"    Type:     {file['content_type']}",
            f"    SHA-256:  {file['sha256']}",
        ]
        if "capture" in file:
            capture = file["capture"]
            lines += [
                f"    Captured by Kanalkollen from {capture['address']}",
                f"    at {capture['captured_at']}, HTTP status {capture['http_status']}",
            ]
    return "\n".join(lines) + "\n"
