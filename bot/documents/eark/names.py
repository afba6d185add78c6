"""File names and types inside a package.

FGS Paketstruktur and CSIP advise names of the letters a-z and A-Z, the digits, "-", "_" and
"."; a name outside that gets a safe one (Swedish letters lose their marks, anything else
becomes "_"), and the original name goes into the PREMIS metadata (`originalName`). Two files
with one name both stay: the second is "name_2.ext". The type is decided by the first bytes
where they tell; otherwise by the declared type or the name; otherwise
application/octet-stream, and the file is kept all the same.
"""

from __future__ import annotations

import mimetypes
import re
import unicodedata

OCTET_STREAM = "application/octet-stream"
_MAX_NAME = 100
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}")
# First bytes of the types the bot keeps (screenshots, captures, a platform's export).
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"%PDF-", "application/pdf"),
    (b"PK\x03\x04", "application/zip"),
    (b"WARC/1.", "application/warc"),
    (b"GIF8", "image/gif"),
)
_EXTRA_TYPES = {".warc": "application/warc", ".warc.gz": "application/warc"}


def safe_name(name: str) -> str:
    """A name the spec can hold: ASCII letters, digits, "-", "_" and "."."""
    plain = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    safe = _SAFE.sub("_", plain).strip("._-") or "file"
    if len(safe) > _MAX_NAME:
        stem, dot, extension = safe.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            safe = stem[: _MAX_NAME - len(extension) - 1] + "." + extension
        else:
            safe = safe[:_MAX_NAME]
    return safe


def unique_name(name: str, taken: set[str], *, numbered: str = "{stem}_{number}") -> str:
    """The name, or "name_2.ext", "name_3.ext" ... when it is taken (case folded: unpacking on
    Windows or macOS folds case); `numbered` shapes the stem with its number."""
    if name.casefold() not in taken:
        return name
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem:
        stem, dot, extension = name, "", ""
    number = 2
    while f"{numbered.format(stem=stem, number=number)}{dot}{extension}".casefold() in taken:
        number += 1
    return f"{numbered.format(stem=stem, number=number)}{dot}{extension}"


def content_type_of(data: bytes, declared: str | None, name: str) -> str:
    """The file's MIME type: its first bytes, else the declared type, else its name, else
    application/octet-stream."""
    for magic, content_type in _SIGNATURES:
        if data.startswith(magic):
            return content_type
    if declared and _TYPE.fullmatch(declared.strip().lower()) and declared != OCTET_STREAM:
        return declared.strip().lower()
    lowered = name.lower()
    for suffix, content_type in _EXTRA_TYPES.items():
        if lowered.endswith(suffix):
            return content_type
    guessed, _ = mimetypes.guess_type(lowered, strict=False)
    return guessed or OCTET_STREAM
