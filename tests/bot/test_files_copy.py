"""`kanalkollen files copy`: an existing deployment's files moved to Azure Blob Storage (and
back), keys, content types and SHA-256 kept; run again safely; refused over other content."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.file_store_azure import AzureBlobFileStore
from storage.files import LocalFileStore, StoredFile, new_key, single_chunk
from tests.support.azurite import Azurite
from tests.support.azurite_fixtures import azure_store, new_container
from tests.support.cli import run_kanalkollen

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture
def container() -> str:
    return new_container()


@pytest.fixture
async def blob(azurite: Azurite, container: str) -> AsyncIterator[AzureBlobFileStore]:
    store = azure_store(azurite.connection_string, container)
    yield store
    await store.close()


@pytest.fixture
def local(tmp_path: Path) -> LocalFileStore:
    return LocalFileStore(tmp_path / "files")


async def deployment(local: LocalFileStore) -> list[StoredFile]:
    """An existing deployment's files: a plan, a screenshot, an empty file and a package."""
    return [
        await local.put(
            b"PK plan", kind="plans", filename="Plan för Ugglan.docx", content_type=DOCX
        ),
        await local.put(
            b"\x89PNG", kind="documentation", filename="start.png", content_type="image/png"
        ),
        await local.put(b"", kind="exports", filename="tom.csv", content_type="text/csv"),
        await local.put(
            bytes(range(256)) * 20_000,
            kind="packages",
            filename="Paket.zip",
            content_type="application/zip",
        ),
    ]


async def copy(
    tmp_path: Path, azurite: Azurite, container: str, *args: str
) -> tuple[int, str, str]:
    env = {
        "FILES_DIR": str(tmp_path / "files"),
        "AZURE_STORAGE_CONNECTION_STRING": azurite.connection_string,
        "AZURE_STORAGE_CONTAINER": container,
    }
    return await run_kanalkollen("files", "copy", *args, env=env, cwd=tmp_path)


async def test_files_move_to_azure_with_their_keys_and_checksums_and_again_is_a_no_op(
    tmp_path: Path,
    azurite: Azurite,
    container: str,
    local: LocalFileStore,
    blob: AzureBlobFileStore,
) -> None:
    files = await deployment(local)

    code, out, _ = await copy(
        tmp_path, azurite, container, "--from", "local", "--to", "azure-blob", "--dry-run"
    )
    assert code == 0
    assert f"would copy 4 file(s) ({sum(f.size for f in files)} bytes)" in out
    assert [key async for key in blob.list_keys()] == []

    code, out, err = await copy(
        tmp_path, azurite, container, "--from", "local", "--to", "azure-blob"
    )
    assert code == 0, err
    assert "copied 4 file(s)" in out and "0 already there; 0 failed" in out
    for stored in files:
        assert await blob.stat(stored.key) == stored  # key, SHA-256, size, type and name
        data = await blob.open(stored.key)
        assert hashlib.sha256(data).hexdigest() == stored.sha256

    code, out, _ = await copy(
        tmp_path, azurite, container, "--from", "local", "--to", "azure-blob"
    )
    assert code == 0
    assert "copied 0 file(s)" in out and "4 already there" in out


async def test_a_later_file_is_copied_on_the_next_run(
    tmp_path: Path,
    azurite: Azurite,
    container: str,
    local: LocalFileStore,
    blob: AzureBlobFileStore,
) -> None:
    await deployment(local)
    assert (await copy(tmp_path, azurite, container, "--from", "local", "--to", "azure-blob"))[
        0
    ] == 0
    later = await local.put(b"ny", kind="plans", filename="Ny plan.docx", content_type=DOCX)
    code, out, _ = await copy(
        tmp_path, azurite, container, "--from", "local", "--to", "azure-blob"
    )
    assert code == 0 and "copied 1 file(s)" in out and "4 already there" in out
    assert await blob.stat(later.key) == later


async def test_a_store_with_other_content_under_a_key_is_refused_and_nothing_copied(
    tmp_path: Path,
    azurite: Azurite,
    container: str,
    local: LocalFileStore,
    blob: AzureBlobFileStore,
) -> None:
    files = await deployment(local)
    other = b"another deployment's plan"
    await blob.put_at(
        files[0].key,
        single_chunk(other),
        content_type=DOCX,
        sha256=hashlib.sha256(other).hexdigest(),
    )

    for extra in ((), ("--dry-run",)):
        code, out, _ = await copy(
            tmp_path, azurite, container, "--from", "local", "--to", "azure-blob", *extra
        )
        assert code == 3
        assert "refused" in out and files[0].key in out
    assert [key async for key in blob.list_keys()] == [files[0].key]
    assert await blob.open(files[0].key) == other


async def test_a_damaged_file_is_reported_and_not_copied(
    tmp_path: Path,
    azurite: Azurite,
    container: str,
    local: LocalFileStore,
    blob: AzureBlobFileStore,
) -> None:
    files = await deployment(local)
    (tmp_path / "files").joinpath(*files[1].key.split("/")).write_bytes(b"changed on disk")

    code, out, _ = await copy(
        tmp_path, azurite, container, "--from", "local", "--to", "azure-blob"
    )
    assert code == 1
    assert f"not copied: {files[1].key}: its bytes do not match its SHA-256" in out
    assert "copied 3 file(s)" in out and "1 failed" in out
    assert await blob.stat(files[1].key) is None


async def test_files_move_back_from_azure_to_a_folder(
    tmp_path: Path, azurite: Azurite, container: str, blob: AzureBlobFileStore
) -> None:
    key = new_key("plans", "Plan för Ugglan.docx")
    await blob.put_at(
        key, single_chunk(b"plan"), content_type=DOCX, sha256=hashlib.sha256(b"plan").hexdigest()
    )
    code, out, _ = await copy(
        tmp_path, azurite, container, "--from", "azure-blob", "--to", "local"
    )
    assert code == 0 and "copied 1 file(s)" in out
    assert await LocalFileStore(tmp_path / "files").open(key) == b"plan"


async def test_copying_needs_the_azure_settings(tmp_path: Path) -> None:
    code, out, _ = await run_kanalkollen(
        "files", "copy", "--from", "local", "--to", "azure-blob", env={}, cwd=tmp_path
    )
    assert code == 2 and "AZURE_STORAGE_ACCOUNT_URL" in out
