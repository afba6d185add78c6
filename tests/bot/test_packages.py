"""The documentation package: its files, its index and its checksums, read back by unzipping."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from bot.documents.packages import build_package

START_PAGE = b"\x89PNG\r\n\x1a\n" + b"start page" * 50
POST = b"\xff\xd8\xff\xe0" + b"a post" * 40
PROFILE = b"%PDF-1.7\n" + b"profile" * 30
COMPLETED_AT = datetime(2026, 9, 1, 10, 15, 42, tzinfo=timezone(timedelta(hours=2)))


def file(name: str, data: bytes) -> tuple[str, bytes, str]:
    """A (filename, data, SHA-256) triple as the dialog passes it."""
    return name, data, hashlib.sha256(data).hexdigest()


def package(**overrides: Any) -> bytes:
    """Builds a package with synthetic defaults."""
    options: dict[str, Any] = {
        "channel_name": "Kulturskolan på Instagram",
        "platform": "Instagram",
        "unit": "Kultur- och fritidsförvaltningen",
        "period_due": date(2026, 9, 2),
        "completed_by": "Redaktör Ett",
        "completed_at": COMPLETED_AT,
        "note": "Profilbilden är bytt.\nÖvrigt oförändrat.",
        "files": [
            file("Startsida.png", START_PAGE),
            file("Inlägg åäö.jpg", POST),
            file("Profil.pdf", PROFILE),
        ],
        "start_page": "Startsida.png",
    } | overrides
    return build_package(**options)


def unzip(data: bytes) -> tuple[zipfile.ZipFile, dict[str, Any]]:
    """Opens the package and reads its index.json."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    return archive, json.loads(archive.read("index.json").decode("utf-8"))


def test_the_package_holds_the_files_and_an_index_with_their_checksums() -> None:
    archive, index = unzip(package())

    assert archive.namelist() == [
        "index.json",
        "index.txt",
        "files/Inlägg åäö.jpg",
        "files/Profil.pdf",
        "files/Startsida.png",
    ]
    assert archive.read("files/Startsida.png") == START_PAGE
    assert archive.read("files/Inlägg åäö.jpg") == POST
    assert archive.read("files/Profil.pdf") == PROFILE
    for entry in index["files"]:
        data = archive.read(entry["path"])
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
        assert entry["size"] == len(data)
    assert {k: v for k, v in index.items() if k != "files"} == {
        "format": "kanalkollen-documentation-package/1",
        "purpose": "documentation",
        "channel": "Kulturskolan på Instagram",
        "platform": "Instagram",
        "unit": "Kultur- och fritidsförvaltningen",
        "period_due": "2026-09-02",
        "completed_by": "Redaktör Ett",
        "completed_at": "2026-09-01T10:15:42+02:00",
        "note": "Profilbilden är bytt.\nÖvrigt oförändrat.",
        "start_page": "files/Startsida.png",
    }
    assert [(f["name"], f["content_type"], f["start_page"]) for f in index["files"]] == [
        ("Inlägg åäö.jpg", "image/jpeg", False),
        ("Profil.pdf", "application/pdf", False),
        ("Startsida.png", "image/png", True),
    ]


def test_the_text_index_lists_the_same_facts_for_people() -> None:
    archive, index = unzip(package())
    text = archive.read("index.txt").decode("utf-8")

    for fact in (
        "Kulturskolan på Instagram",
        "Instagram",
        "Kultur- och fritidsförvaltningen",
        "2026-09-02",
        "Redaktör Ett",
        "2026-09-01T10:15:42+02:00",
        "Profilbilden är bytt.",
        "Övrigt oförändrat.",
        "files/Startsida.png  (start page)",
    ):
        assert fact in text
    for entry in index["files"]:
        assert entry["sha256"] in text
        assert f"{entry['size']} bytes" in text


def test_the_same_input_gives_the_same_bytes() -> None:
    first = package()
    files = [file("Profil.pdf", PROFILE), file("Startsida.png", START_PAGE)]
    files.append(file("Inlägg åäö.jpg", POST))

    assert package() == first
    assert package(files=files) == first  # the order the files came in does not matter
    assert package(note="Annat") != first


def test_every_entry_has_the_completion_time_and_fixed_metadata() -> None:
    archive, _ = unzip(package())

    for info in archive.infolist():
        assert info.date_time == (2026, 9, 1, 10, 15, 42)
        assert info.create_system == 3
        assert info.external_attr >> 16 == 0o100644
    assert archive.getinfo("index.json").compress_type == zipfile.ZIP_DEFLATED
    assert archive.getinfo("files/Startsida.png").compress_type == zipfile.ZIP_STORED


def test_equal_names_are_numbered_and_paths_stripped() -> None:
    other = START_PAGE + b"other"
    files = [
        file("Startsida.png", START_PAGE),
        file("../../startsida.PNG", other),
        file("C:\\Skärmbilder\\Startsida.png", POST),
    ]

    archive, index = unzip(package(files=files, start_page="../../startsida.PNG"))

    names = [entry["name"] for entry in index["files"]]
    assert sorted(names, key=str.casefold) == [
        "Startsida (2).png",
        "startsida (3).PNG",
        "Startsida.png",
    ]
    contents = {archive.read(entry["path"]) for entry in index["files"]}
    assert contents == {START_PAGE, other, POST}
    start = next(entry for entry in index["files"] if entry["start_page"])
    assert archive.read(start["path"]) == other
    assert index["start_page"] == start["path"]
    assert all(name.startswith(("index.", "files/")) for name in archive.namelist())
    assert not any(".." in name for name in archive.namelist())


def test_a_package_without_a_start_page_or_note() -> None:
    archive, index = unzip(package(start_page=None, note=None))

    assert index["start_page"] is None and index["note"] is None
    assert not any(entry["start_page"] for entry in index["files"])
    assert "Note:          -" in archive.read("index.txt").decode("utf-8")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"files": [("Startsida.png", START_PAGE, "0" * 64)]}, "SHA-256"),
        ({"completed_at": datetime(2026, 9, 1, 10, 15)}, "time zone"),  # noqa: DTZ001
        ({"start_page": "Okänd.png"}, "start page"),
        ({"files": [], "start_page": None}, "at least one file"),
    ],
    ids=["checksum", "naive-time", "unknown-start-page", "no-files"],
)
def test_wrong_input_is_refused(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        package(**overrides)


def test_a_time_in_utc_is_stamped_as_given() -> None:
    archive, index = unzip(package(completed_at=datetime(2026, 9, 1, 8, 15, 42, tzinfo=UTC)))

    assert index["completed_at"] == "2026-09-01T08:15:42+00:00"
    assert archive.getinfo("index.json").date_time == (2026, 9, 1, 8, 15, 42)
