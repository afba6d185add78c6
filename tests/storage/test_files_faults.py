"""The Azure Blob store when the service fails: 503, no answer, a connection dropped half-way
through an upload, or no service at all. Each failure is FileStoreUnavailable, nothing of the
file is stored, and the same call works once the service is back.

A loopback proxy (tests/support/blob_faults.py) stands between the store and Azurite."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

import pytest

from storage.file_store_azure import BLOCK_BYTES, AzureBlobFileStore
from storage.files import FileStoreUnavailable, new_key
from tests.support.azurite import Azurite
from tests.support.azurite_fixtures import azure_store, new_container
from tests.support.blob_faults import BlobFaults

ZIP = "application/zip"
DATA = b"PK" + bytes(range(256)) * 40


@pytest.fixture
async def faults(azurite: Azurite) -> AsyncIterator[BlobFaults]:
    async with BlobFaults(azurite.port) as proxy:
        yield proxy


@pytest.fixture
async def store(faults: BlobFaults) -> AsyncIterator[AzureBlobFileStore]:
    # One try, no retry, and a one-second time-out: each fault shows at once.
    store = azure_store(faults.connection_string, new_container(), timeout_seconds=1, retries=0)
    yield store
    await store.close()


async def every_key(store: AzureBlobFileStore) -> list[str]:
    return sorted([key async for key in store.list_keys()])


async def large(total: int) -> AsyncIterator[bytes]:
    for start in range(0, total, 1 << 20):
        yield b"w" * min(1 << 20, total - start)


async def test_a_store_answering_503_stores_nothing_and_works_again(
    store: AzureBlobFileStore, faults: BlobFaults
) -> None:
    kept = await store.put(DATA, kind="plans", filename="plan.docx", content_type=ZIP)
    faults.mode = "unavailable"
    with pytest.raises(FileStoreUnavailable):
        await store.put(DATA, kind="plans", filename="plan.docx", content_type=ZIP)
    with pytest.raises(FileStoreUnavailable):
        await store.stat(kept.key)
    with pytest.raises(FileStoreUnavailable):
        await store.open_stream(kept.key)
    with pytest.raises(FileStoreUnavailable):
        await store.delete(kept.key)
    assert faults.forwarded == faults.requests - 4  # each answered by the proxy, not Azurite
    faults.heal()
    assert await every_key(store) == [kept.key]
    assert await store.open(kept.key) == DATA
    again = await store.put(DATA, kind="plans", filename="plan.docx", content_type=ZIP)
    assert await every_key(store) == sorted([kept.key, again.key])


async def test_the_client_retries_a_503_before_it_gives_up(faults: BlobFaults) -> None:
    store = azure_store(faults.connection_string, new_container(), timeout_seconds=1, retries=2)
    try:
        faults.mode = "unavailable"
        with pytest.raises(FileStoreUnavailable):
            await store.stat(new_key("plans", "plan.docx"))
        assert faults.requests == 3  # the first try and two retries
    finally:
        await store.close()


async def test_a_store_that_never_answers_times_out_and_stores_nothing(
    store: AzureBlobFileStore, faults: BlobFaults
) -> None:
    await store.put(b"x", kind="plans", filename="first.docx", content_type=ZIP)  # container
    faults.mode = "hang"
    with pytest.raises(FileStoreUnavailable):
        await store.put(DATA, kind="screenshots", filename="bild.png", content_type="image/png")
    faults.heal()
    assert [key.split("/")[2] for key in await every_key(store)] == ["first.docx"]


async def test_a_connection_dropped_mid_upload_leaves_no_file(
    store: AzureBlobFileStore, faults: BlobFaults
) -> None:
    faults.cut_after_blocks = 1  # the first block arrives, the second is cut off
    with pytest.raises(FileStoreUnavailable):
        await store.put_stream(
            large(3 * BLOCK_BYTES), kind="packages", filename="paket.zip", content_type=ZIP
        )
    faults.heal()
    assert await every_key(store) == []
    stored = await store.put_stream(
        large(3 * BLOCK_BYTES), kind="packages", filename="paket.zip", content_type=ZIP
    )
    assert stored.sha256 == hashlib.sha256(b"w" * 3 * BLOCK_BYTES).hexdigest()
    assert await every_key(store) == [stored.key]


async def test_a_store_that_is_down_stores_nothing_until_it_is_back(
    store: AzureBlobFileStore, faults: BlobFaults
) -> None:
    kept = await store.put(DATA, kind="plans", filename="plan.docx", content_type=ZIP)
    await faults.down()
    with pytest.raises(FileStoreUnavailable):
        await store.put(DATA, kind="plans", filename="other.docx", content_type=ZIP)
    with pytest.raises(FileStoreUnavailable):
        await store.delete(kept.key)
    with pytest.raises(FileStoreUnavailable):
        [key async for key in store.list_keys()]
    await faults.up()
    assert await every_key(store) == [kept.key]
    assert await store.delete(kept.key) is True
    assert await every_key(store) == []


async def test_a_container_that_is_missing_is_created(faults: BlobFaults) -> None:
    container = new_container()
    store = azure_store(faults.connection_string, container, timeout_seconds=5, retries=0)
    try:
        assert await every_key(store) == []  # no container yet: no files, no error
        stored = await store.put(DATA, kind="plans", filename="plan.docx", content_type=ZIP)
        again = azure_store(faults.connection_string, container)
        assert await again.open(stored.key) == DATA
        await again.close()
    finally:
        await store.close()


async def test_blobs_that_are_not_keys_are_not_listed(store: AzureBlobFileStore) -> None:
    kept = await store.put(DATA, kind="plans", filename="plan.docx", content_type=ZIP)
    await store._container.upload_blob("README.txt", b"someone else's", length=14)
    assert await every_key(store) == [kept.key]
