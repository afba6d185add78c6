"""A records package in the policy's format (issue 27): an E-ARK SIP or today's zip.

`records.package_format` chooses: "eark-sip" (the default: E-ARK SIP 2.1.0, FGS Paketstruktur
2.0, bot/documents/eark/) or "zip" (bot/documents/packages.py: the files with an index of our
own). Both come as one zip file. A file's data may be a Path, read in chunks:
`write_records_package` writes the zip to a file and never holds a package whole in memory
(issue 28).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO

from bot.documents.eark.model import PackageFacts, PackageFile
from bot.documents.eark.sip import write_sip
from bot.documents.package_zip import Data
from bot.documents.packages import write_package
from dialogs.services import StoredUpload
from domain.policy import RecordsPolicy
from storage.files import FileStore


@dataclass(frozen=True)
class PackageRequest:
    """What one delivery holds and who makes it."""

    purpose: str  # "documentation" (R12), "closing" (R13), "capture" (R11)
    channel_name: str
    platform: str
    unit: str
    due: date  # the end of the period covered
    completed_by: str
    completed_at: datetime
    note: str | None
    start_page: str | None
    address: str | None = None
    period_start: date | None = None
    administration: str = ""


def build_records_package(
    request: PackageRequest,
    files: list[tuple[StoredUpload, Data]],
    records: RecordsPolicy,
) -> bytes:
    """The package's zip, in the format the policy names, in memory."""
    buffer = io.BytesIO()
    write_records_package(buffer, request, files, records)
    return buffer.getvalue()


def write_records_package(
    out: BinaryIO,
    request: PackageRequest,
    files: list[tuple[StoredUpload, Data]],
    records: RecordsPolicy,
) -> None:
    """Writes the package's zip, in the format the policy names, to `out` (a seekable file);
    the files that are paths are read in chunks."""
    if records.package_format == "zip":
        contents: list[tuple[str, Data, str, dict[str, Any] | None]] = []
        for upload, data in files:
            capture = None
            if upload.source_url is not None:  # a capture Kanalkollen took (R12)
                capture = {
                    "address": upload.source_url,
                    "captured_at": upload.captured_at,
                    "http_status": upload.http_status,
                    "content_type": upload.content_type,
                }
            contents.append((upload.filename, data, upload.sha256, capture))
        write_package(
            out,
            channel_name=request.channel_name,
            platform=request.platform,
            unit=request.unit,
            period_due=request.due,
            completed_by=request.completed_by,
            completed_at=request.completed_at,
            note=request.note,
            files=contents,
            start_page=request.start_page,
            purpose=request.purpose,
        )
        return
    facts = PackageFacts(
        purpose=request.purpose,
        channel_name=request.channel_name,
        platform=request.platform,
        address=request.address,
        administration=request.administration or request.unit,
        unit=request.unit,
        period_start=request.period_start,
        period_end=request.due,
        documented_by=request.completed_by,
        completed_at=request.completed_at,
        note=request.note,
        submission_agreement=records.submission_agreement,
        reference_code=records.reference_code,
    )
    start_marked = False
    package_files = []
    for upload, data in files:
        start = not start_marked and upload.filename == request.start_page
        start_marked = start_marked or start
        package_files.append(
            PackageFile(
                name=upload.filename,
                data=data,
                sha256=upload.sha256,
                content_type=upload.content_type,
                start_page=start,
                source_url=upload.source_url,
                captured_at=upload.captured_at,
                http_status=upload.http_status,
            )
        )
    if request.start_page is not None and not start_marked:
        raise ValueError("the start page is not one of the files")
    write_sip(out, facts, package_files)


async def write_stored_package(
    store: FileStore,
    request: PackageRequest,
    files: list[StoredUpload],
    records: RecordsPolicy,
    *,
    target: Path,
    folder: Path,
) -> None:
    """Streams the stored files to `folder` (checking each SHA-256 on the way) and writes the
    package from them to `target`, in chunks both ways: nothing is held whole in memory."""
    contents: list[tuple[StoredUpload, Data]] = []
    for number, upload in enumerate(files):
        path = folder / f"file-{number}"
        if await _fetch(store, upload.key, path) != upload.sha256:
            raise ValueError(f"stored file {upload.key} does not match its checksum")
        contents.append((upload, path))
    await asyncio.to_thread(_write_file, target, request, contents, records)


def _write_file(
    target: Path,
    request: PackageRequest,
    files: list[tuple[StoredUpload, Data]],
    records: RecordsPolicy,
) -> None:
    with target.open("wb") as out:
        write_records_package(out, request, files, records)


async def _fetch(store: FileStore, key: str, path: Path) -> str:
    """Streams a stored file to `path`; returns the SHA-256 of what arrived."""
    digest = hashlib.sha256()
    opened = await store.open_stream(key)
    async with contextlib.aclosing(opened.chunks) as chunks:
        with path.open("wb") as target:
            async for chunk in chunks:
                digest.update(chunk)
                await asyncio.to_thread(target.write, chunk)
    return digest.hexdigest()
