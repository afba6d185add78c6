"""The file stores' contract: put, stat, open, exists, delete; keys that cannot leave the folder.

Every test taking `file_store` runs on the local folder and on Azure Blob Storage (Azurite);
those taking `store` are about the local folder's own layout."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from storage.files import (
    FileStore,
    InvalidFileKey,
    LocalFileStore,
    NoSuchFile,
    is_valid_key,
    new_key,
    safe_filename,
)

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
DATA = b"PK\x03\x04 not really a docx" * 100


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "files"


@pytest.fixture
def store(root: Path) -> LocalFileStore:
    return LocalFileStore(root)


def every_file(root: Path) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def every_path(root: Path) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*"))


async def test_put_returns_what_was_stored(file_store: FileStore) -> None:
    stored = await file_store.put(
        DATA,
        kind="plans",
        filename="Plan för sociala medier - Fritidsgården.docx",
        content_type=DOCX,
    )
    assert stored.sha256 == hashlib.sha256(DATA).hexdigest()
    assert stored.size == len(DATA)
    assert stored.content_type == DOCX
    assert stored.filename == "Plan för sociala medier - Fritidsgården.docx"
    kind, token, name = stored.key.split("/")
    assert (kind, name) == ("plans", stored.filename)
    assert len(token) == 32 and int(token, 16) >= 0
    assert is_valid_key(stored.key)


async def test_a_stored_file_opens_exists_and_has_its_metadata(file_store: FileStore) -> None:
    stored = await file_store.put(
        DATA, kind="screenshots", filename="start.png", content_type="image/png"
    )
    assert await file_store.open(stored.key) == DATA
    assert await file_store.exists(stored.key)
    assert await file_store.stat(stored.key) == stored


async def test_a_new_store_on_the_same_folder_finds_the_file(
    store: LocalFileStore, root: Path
) -> None:
    stored = await store.put(DATA, kind="plans", filename="plan.docx", content_type=DOCX)
    again = LocalFileStore(root)
    assert await again.stat(stored.key) == stored
    assert await again.open(stored.key) == DATA


async def test_the_same_name_twice_gives_two_keys(file_store: FileStore) -> None:
    first = await file_store.put(b"one", kind="plans", filename="plan.docx", content_type=DOCX)
    second = await file_store.put(b"two", kind="plans", filename="plan.docx", content_type=DOCX)
    assert first.key != second.key
    assert await file_store.open(first.key) == b"one"
    assert await file_store.open(second.key) == b"two"


async def test_an_empty_file_is_a_file(file_store: FileStore) -> None:
    stored = await file_store.put(
        b"", kind="packages", filename="empty.zip", content_type="application/zip"
    )
    assert stored.sha256 == hashlib.sha256(b"").hexdigest()
    assert stored.size == 0
    assert await file_store.open(stored.key) == b""


async def test_delete_removes_the_file_and_its_folder(store: LocalFileStore, root: Path) -> None:
    stored = await store.put(DATA, kind="plans", filename="plan.docx", content_type=DOCX)
    assert await store.delete(stored.key) is True
    assert not await store.exists(stored.key)
    assert await store.stat(stored.key) is None
    with pytest.raises(NoSuchFile):
        await store.open(stored.key)
    assert every_file(root) == []
    assert not (root / "plans" / stored.key.split("/")[1]).exists()
    assert await store.delete(stored.key) is False


async def test_an_unknown_key_is_no_file(file_store: FileStore) -> None:
    key = new_key("plans", "plan.docx")
    assert not await file_store.exists(key)
    assert await file_store.stat(key) is None
    with pytest.raises(NoSuchFile):
        await file_store.open(key)
    assert await file_store.delete(key) is False


async def test_a_file_without_its_metadata_is_not_there(store: LocalFileStore, root: Path) -> None:
    # The metadata is written last: a crash between the two writes leaves no half-stored file.
    stored = await store.put(DATA, kind="plans", filename="plan.docx", content_type=DOCX)
    (root.joinpath(*stored.key.split("/")).parent / ".meta.json").unlink()
    assert not await store.exists(stored.key)
    with pytest.raises(NoSuchFile):
        await store.open(stored.key)


async def test_writing_leaves_no_temporary_files(store: LocalFileStore, root: Path) -> None:
    stored = await store.put(DATA, kind="plans", filename="plan.docx", content_type=DOCX)
    token = stored.key.split("/")[1]
    assert every_file(root) == [f"plans/{token}/.meta.json", f"plans/{token}/plan.docx"]


async def test_a_failed_write_leaves_nothing_behind(
    store: LocalFileStore, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(source: str, target: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(OSError, match="No space left"):
        await store.put(DATA, kind="plans", filename="plan.docx", content_type=DOCX)
    assert every_path(root) == ["plans"]  # the kind's folder, made before the write


@pytest.mark.parametrize(
    "key",
    [
        "",
        "plans",
        "plans/plan.docx",
        "../etc/passwd",
        "plans/../../etc/passwd",
        f"plans/{'0' * 32}/../../../etc/passwd",
        f"plans/{'0' * 32}/..",
        f"plans/{'0' * 32}/.meta.json",
        f"plans/{'0' * 32}/.tmp-abc",
        f"plans/{'0' * 32}/a/b.docx",
        f"plans/{'0' * 32}/a\\..\\b.docx",
        f"/plans/{'0' * 32}/plan.docx",
        f"/etc/{'0' * 32}/passwd",
        f"plans/{'0' * 31}/plan.docx",
        f"plans/{'A' * 32}/plan.docx",
        f"Plans/{'0' * 32}/plan.docx",
        f"plans/{'0' * 32}/plan.docx\n",
        f"plans/{'0' * 32}/plan\x00.docx",
        f"plans/{'0' * 32}/ plan.docx",
        f"plans/{'0' * 32}/plan.docx ",
        f"plans//{'0' * 32}/plan.docx",
    ],
)
async def test_keys_that_could_leave_the_folder_are_refused(
    file_store: FileStore, key: str
) -> None:
    assert not is_valid_key(key)
    with pytest.raises(InvalidFileKey):
        await file_store.open(key)
    with pytest.raises(InvalidFileKey):
        await file_store.exists(key)
    with pytest.raises(InvalidFileKey):
        await file_store.delete(key)


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        (
            "Plan för sociala medier - Fritidsgården.docx",
            "Plan för sociala medier - Fritidsgården.docx",
        ),
        ("ÅÄÖ åäö.jpg", "ÅÄÖ åäö.jpg"),
        ("e\u0301.png", "\u00e9.png"),  # decomposed letters are composed (NFC)
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\ada\\bild.png", "bild.png"),
        ("..", "file"),
        (".meta.json", "meta.json"),
        ("", "file"),
        ("bad\x00name\n.pdf", "bad name.pdf"),
        ("skärm:dump*?.png", "skärm dump.png"),
        ("x" * 300 + ".png", "x" * 116 + ".png"),
    ],
)
def test_file_names_are_made_safe(given: str, kept: str) -> None:
    assert safe_filename(given) == kept
    assert is_valid_key(f"plans/{'0' * 32}/{kept}")


@pytest.mark.parametrize("kind", ["", "Plans", "../x", "a/b", "x" * 33, "plans\n"])
async def test_a_wrong_kind_is_refused(file_store: FileStore, kind: str) -> None:
    with pytest.raises(ValueError, match="kind"):
        await file_store.put(DATA, kind=kind, filename="plan.docx", content_type=DOCX)


@pytest.mark.parametrize("content_type", ["", "docx", "text/html\r\nX-Evil: 1", "a/b c"])
async def test_a_wrong_content_type_is_refused(file_store: FileStore, content_type: str) -> None:
    with pytest.raises(ValueError, match="content type"):
        await file_store.put(DATA, kind="plans", filename="plan.docx", content_type=content_type)
