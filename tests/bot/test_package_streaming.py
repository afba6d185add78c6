"""A package written from files on disk, in chunks, is byte for byte the package built in
memory, in both formats (the zip and the E-ARK SIP); a file on disk whose bytes are not its
SHA-256 is refused as in memory (issue 28)."""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from bot.documents.eark.check import check_package
from bot.documents.eark.sip import DATA_FOLDER, build_sip, write_sip
from bot.documents.packages import build_package, write_package
from tests.bot.test_eark_packages import documentation_files
from tests.bot.test_eark_packages import facts as eark_facts
from tests.bot.test_eark_packages import file as eark_file
from tests.bot.test_packages import COMPLETED_AT, POST, PROFILE, START_PAGE
from tests.support.eark import validator_errors

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


def test_a_sip_from_files_on_disk_is_the_sip_from_memory(tmp_path: Path) -> None:
    # Issue 28: the SIP's data files as paths (read in chunks) give the same bytes as in memory,
    # and the package passes the E-ARK validator and our checks.
    in_memory_files = [*documentation_files(), eark_file("Stor.png", LARGE)]
    on_disk_files = []
    for number, package_file in enumerate(in_memory_files):
        assert isinstance(package_file.data, bytes)
        path = tmp_path / f"file-{number}"
        path.write_bytes(package_file.data)
        on_disk_files.append(replace(package_file, data=path))
    objid, in_memory = build_sip(eark_facts(), in_memory_files)
    with (tmp_path / "package.zip").open("w+b") as out:
        assert write_sip(out, eark_facts(), on_disk_files) == objid
    streamed = (tmp_path / "package.zip").read_bytes()
    assert streamed == in_memory
    with zipfile.ZipFile(io.BytesIO(streamed)) as archive:
        assert archive.read(f"{objid}/{DATA_FOLDER}Stor.png") == LARGE
    assert check_package(streamed) == []
    assert validator_errors(streamed, tmp_path / "unpacked") == []


def test_a_sip_file_on_disk_that_is_not_its_checksum_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "start"
    path.write_bytes(START_PAGE + b"changed")
    changed = eark_file("Startsida.png", START_PAGE)
    with pytest.raises(ValueError, match="SHA-256"):
        write_sip(io.BytesIO(), eark_facts(), [replace(changed, data=path)])
