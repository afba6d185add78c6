"""What both package formats share: a file's data as bytes or as a file on disk, read in
chunks, and zip entries with fixed metadata (so the same input gives the same bytes).

A package's large files (screenshots, WARCs, a platform's export) come as paths: their SHA-256,
size and first bytes are read in chunks, and `write_entry` copies them into the zip in chunks,
so a package is never held whole in memory. An entry written from a file is byte for byte the
entry written from the same bytes (`ZipFile.writestr` opens the entry the same way).
"""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import zipfile
from collections.abc import AsyncGenerator
from datetime import datetime
from pathlib import Path

CHUNK = 1024 * 1024
Data = bytes | Path  # the bytes, or a file holding them
ZipTime = tuple[int, int, int, int, int, int]
_FILE_MODE = 0o100644 << 16  # a regular file, rw-r--r--
_UNIX = 3  # "made by" system, fixed so the bytes do not depend on where the zip is built


def sha256_of(data: Data) -> str:
    """The data's SHA-256 (hex), a file read in chunks."""
    if isinstance(data, bytes):
        return hashlib.sha256(data).hexdigest()
    digest = hashlib.sha256()
    with data.open("rb") as source:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def size_of(data: Data) -> int:
    return len(data) if isinstance(data, bytes) else data.stat().st_size


def head_of(data: Data, length: int = 64) -> bytes:
    """The first bytes, enough to tell the type."""
    if isinstance(data, bytes):
        return data[:length]
    with data.open("rb") as source:
        return source.read(length)


def zip_time(moment: datetime) -> ZipTime:
    """The moment's wall-clock time, within what a zip can hold (1980 to 2107)."""
    stamp = (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)
    return max((1980, 1, 1, 0, 0, 0), min(stamp, (2107, 12, 31, 23, 59, 58)))


def write_entry(
    archive: zipfile.ZipFile, path: str, data: Data, stamp: ZipTime, compression: int
) -> None:
    """Adds one entry with fixed metadata; a file on disk is copied in chunks."""
    info = zipfile.ZipInfo(path, date_time=stamp)
    info.compress_type = compression
    info.create_system = _UNIX
    info.external_attr = _FILE_MODE
    if isinstance(data, bytes):
        archive.writestr(
            info, data, compresslevel=6 if compression == zipfile.ZIP_DEFLATED else None
        )
        return
    # What writestr does, with the data read in chunks: the same header, the same bytes (6 is
    # zlib's default level, which a deflated entry opened for writing gets).
    info.file_size = data.stat().st_size
    with data.open("rb") as source, archive.open(info, "w") as target:
        shutil.copyfileobj(source, target, CHUNK)


async def file_chunks(path: Path) -> AsyncGenerator[bytes, None]:
    """A file's bytes, a chunk at a time, read off the event loop (for `put_stream`)."""
    source = await asyncio.to_thread(path.open, "rb")
    try:
        while chunk := await asyncio.to_thread(source.read, CHUNK):
            yield chunk
    finally:
        source.close()
