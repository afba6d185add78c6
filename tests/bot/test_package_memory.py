"""Issue 28: a records package is never held whole in memory. The stored files are streamed to
a temporary folder, the package (E-ARK SIP or zip) is written from them to a file in chunks and
stored from it with `put_stream`: building and storing a package of a 64 MB file stays far
below 64 MB of Python memory (tracemalloc), in both formats; so do our checks of a SIP.

The peak RSS of a 200 MB SIP, on the local folder and on Azure Blob Storage (Azurite), is in
bench/records_package.py.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tracemalloc
import zipfile
from datetime import date
from pathlib import Path

import aiohttp
import pytest

from bot.documents.chat_records import StoredRecords
from bot.documents.eark.check import check_package
from bot.documents.eark.model import PackageFile
from bot.documents.eark.sip import DATA_FOLDER, write_sip
from bot.documents.package_zip import file_chunks
from dialogs.services import StoredUpload
from domain.policy import RecordsPolicy
from storage.files import FileStore, LocalFileStore
from tests.bot.test_eark_packages import documentation_files
from tests.bot.test_eark_packages import facts as eark_facts
from tests.bot.test_packages import COMPLETED_AT

MB = 1024 * 1024
LARGE_MB = 64
WARC_HEAD = b"WARC/1.1\r\nWARC-Type: warcinfo\r\n\r\n"


def write_large(path: Path, megabytes: int) -> str:
    """Incompressible data written a chunk at a time; returns its SHA-256."""
    digest = hashlib.sha256()
    with path.open("wb") as out:
        for number in range(megabytes):
            chunk = (WARC_HEAD if number == 0 else b"") + os.urandom(MB)
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()


async def store_large(store: FileStore, folder: Path, megabytes: int) -> StoredUpload:
    sha256 = write_large(folder / "large.warc", megabytes)
    async with contextlib.aclosing(file_chunks(folder / "large.warc")) as chunks:
        stored = await store.put_stream(
            chunks, kind="documentation", filename="capture.warc", content_type="application/warc"
        )
    (folder / "large.warc").unlink()
    assert stored.sha256 == sha256
    return StoredUpload(
        "capture.warc",
        "application/warc",
        stored.key,
        stored.sha256,
        stored.size,
        source_url="https://www.instagram.com/kulturskolan",
        captured_at="2026-09-01T08:10:00+00:00",
        http_status=200,
    )


async def package_of(records: StoredRecords, upload: StoredUpload, package_format: str) -> str:
    key, _ = await records.package(
        channel_name="Kulturskolan på Instagram",
        platform="Instagram",
        unit="Kulturskolan",
        due=date(2026, 9, 1),
        completed_by="Redaktör Ett",
        completed_at=COMPLETED_AT,
        note=None,
        files=[upload],
        start_page=None,
        filename="paket.zip",
        purpose="capture",
        address="https://www.instagram.com/kulturskolan",
        records=RecordsPolicy(package_format=package_format),
    )
    return key


@pytest.mark.parametrize("package_format", ["eark-sip", "zip"])
async def test_a_package_of_a_large_file_is_never_held_whole_in_memory(
    tmp_path: Path, package_format: str
) -> None:
    store = LocalFileStore(tmp_path / "files")
    upload = await store_large(store, tmp_path, LARGE_MB)
    async with aiohttp.ClientSession() as http:
        records = StoredRecords(store, http, max_bytes=LARGE_MB * 2 * MB)
        tracemalloc.start()
        try:
            key = await package_of(records, upload, package_format)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    # Issue 28: a few chunks of 1 MB at a time, not the 64 MB file (nor the package).
    assert peak < LARGE_MB * MB // 8, f"peak {peak / MB:.1f} MB"
    # The package holds the file whole: read back in chunks, its bytes are the upload's.
    package = tmp_path / "package.zip"
    opened = await store.open_stream(key)
    async with contextlib.aclosing(opened.chunks) as chunks:
        with package.open("wb") as out:
            async for chunk in chunks:
                out.write(chunk)
    with zipfile.ZipFile(package) as archive:
        [member] = [
            name
            for name in archive.namelist()
            if name.endswith("capture.warc") and (package_format == "zip" or DATA_FOLDER in name)
        ]
        digest = hashlib.sha256()
        with archive.open(member) as data:
            while chunk := data.read(MB):
                digest.update(chunk)
    assert digest.hexdigest() == upload.sha256


def test_a_large_sip_is_checked_in_chunks(tmp_path: Path) -> None:
    # Issue 28: our checks (kanalkollen records check) read the XML files whole and the data
    # files in chunks: a SIP of a 64 MB file, zipped or unpacked, is checked in a few MB.
    sha256 = write_large(tmp_path / "large.warc", LARGE_MB)
    package = tmp_path / "package.zip"
    large = PackageFile("capture.warc", tmp_path / "large.warc", sha256)
    with package.open("wb") as out:
        write_sip(out, eark_facts(), [*documentation_files(), large])
    with zipfile.ZipFile(package) as archive:
        archive.extractall(tmp_path / "unpacked")
    [unpacked] = (tmp_path / "unpacked").iterdir()
    for checked in (package, unpacked):
        tracemalloc.start()
        try:
            assert check_package(checked) == []
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert peak < LARGE_MB * MB // 8, f"{checked.name}: peak {peak / MB:.1f} MB"
