"""A package written from files on disk, in chunks, is byte for byte the package built in
memory; a file on disk whose bytes are not its SHA-256 is refused as in memory."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from bot.documents.packages import build_package, write_package
from tests.bot.test_packages import COMPLETED_AT, POST, PROFILE, START_PAGE

OPTIONS = {
    "channel_name": "Kulturskolan på Instagram",
    "platform": "Instagram",
    "unit": "Kultur- och fritidsförvaltningen",
    "period_due": COMPLETED_AT.date(),
    "completed_by": "Redaktör Ett",
    "completed_at": COMPLETED_AT,
    "note": "Inget att tillägga.",
    "start_page": "Startsida.png",
}
LARGE = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 12_000  # about 3 MB: several chunks


def on_disk(folder: Path, name: str, data: bytes) -> tuple[str, Path, str]:
    path = folder / hashlib.sha256(name.encode()).hexdigest()
    path.write_bytes(data)
    return name, path, hashlib.sha256(data).hexdigest()


def test_a_package_from_files_on_disk_is_the_package_from_memory(tmp_path: Path) -> None:
    contents = [("Startsida.png", START_PAGE), ("Inlägg.jpg", POST), ("Profil.pdf", PROFILE)]
    contents.append(("Stor.png", LARGE))
    in_memory = build_package(
        files=[(name, data, hashlib.sha256(data).hexdigest()) for name, data in contents],
        **OPTIONS,
    )
    with (tmp_path / "package.zip").open("w+b") as out:
        write_package(
            out, files=[on_disk(tmp_path, name, data) for name, data in contents], **OPTIONS
        )
    streamed = (tmp_path / "package.zip").read_bytes()
    assert streamed == in_memory
    assert zipfile.ZipFile(io.BytesIO(streamed)).read("files/Stor.png") == LARGE


def test_a_file_on_disk_that_is_not_its_checksum_is_refused(tmp_path: Path) -> None:
    name, path, sha256 = on_disk(tmp_path, "Startsida.png", START_PAGE)
    path.write_bytes(START_PAGE + b"changed")
    with pytest.raises(ValueError, match="SHA-256"):
        write_package(io.BytesIO(), files=[(name, path, sha256)], **OPTIONS)
