"""The file stores' contract for large files: chunks in, chunks out, all or nothing.

Every test runs on the local folder and on Azure Blob Storage (Azurite)."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import AsyncIterator

import pytest

from storage.file_store_azure import BLOCK_BYTES
from storage.files import ChecksumMismatch, FileStore, NoSuchFile, new_key

ZIP = "application/zip"


async def pieces(total: int, size: int = 700_001) -> AsyncIterator[bytes]:
    """`total` bytes of a repeating pattern in uneven pieces."""
    sent = 0
    while sent < total:
        piece = min(size, total - sent)
        yield bytes((sent + i) % 251 for i in range(piece))
        sent += piece


def pattern(total: int) -> bytes:
    return bytes(i % 251 for i in range(total))


async def every_key(store: FileStore) -> list[str]:
    return sorted([key async for key in store.list_keys()])


async def read_all(store: FileStore, key: str) -> bytes:
    opened = await store.open_stream(key)
    async with contextlib.aclosing(opened.chunks) as chunks:
        return b"".join([chunk async for chunk in chunks])


async def test_a_file_larger_than_a_block_goes_in_and_out_in_chunks(file_store: FileStore) -> None:
    total = 2 * BLOCK_BYTES + 12_345
    stored = await file_store.put_stream(
        pieces(total), kind="packages", filename="Paket.zip", content_type=ZIP
    )
    assert stored.size == total
    assert stored.sha256 == hashlib.sha256(pattern(total)).hexdigest()
    assert await file_store.stat(stored.key) == stored
    opened = await file_store.open_stream(stored.key)
    assert opened.stored == stored
    sizes = []
    digest = hashlib.sha256()
    async with contextlib.aclosing(opened.chunks) as chunks:
        async for chunk in chunks:
            sizes.append(len(chunk))
            digest.update(chunk)
    assert digest.hexdigest() == stored.sha256
    assert len(sizes) > 1 and max(sizes) <= BLOCK_BYTES  # never the whole file at once


async def test_a_stream_that_breaks_off_stores_nothing(file_store: FileStore) -> None:
    async def broken() -> AsyncIterator[bytes]:
        yield b"x" * (BLOCK_BYTES + 1)
        raise ConnectionResetError("the sender went away")

    with pytest.raises(OSError):
        await file_store.put_stream(broken(), kind="packages", filename="a.zip", content_type=ZIP)
    assert await every_key(file_store) == []


async def test_keys_lists_every_stored_file(file_store: FileStore) -> None:
    assert await every_key(file_store) == []
    first = await file_store.put(b"1", kind="plans", filename="Plan å.docx", content_type=ZIP)
    second = await file_store.put(b"2", kind="screenshots", filename="a.png", content_type=ZIP)
    assert await every_key(file_store) == sorted([first.key, second.key])
    await file_store.delete(first.key)
    assert await every_key(file_store) == [second.key]


async def test_put_at_keeps_the_key_and_checks_the_checksum(file_store: FileStore) -> None:
    key = new_key("plans", "Plan för Fritidsgården.docx")
    data = pattern(BLOCK_BYTES + 3)
    sha256 = hashlib.sha256(data).hexdigest()
    stored = await file_store.put_at(key, pieces(len(data)), content_type=ZIP, sha256=sha256)
    assert (stored.key, stored.sha256, stored.size) == (key, sha256, len(data))
    assert await file_store.stat(key) == stored
    assert await read_all(file_store, key) == data
    with pytest.raises(FileExistsError):
        await file_store.put_at(key, pieces(3), content_type=ZIP, sha256=sha256)
    assert await read_all(file_store, key) == data


async def test_put_at_with_other_bytes_than_the_checksum_stores_nothing(
    file_store: FileStore,
) -> None:
    key = new_key("plans", "plan.docx")
    with pytest.raises(ChecksumMismatch):
        await file_store.put_at(key, pieces(1000), content_type=ZIP, sha256="0" * 64)
    assert await file_store.stat(key) is None
    assert await every_key(file_store) == []


async def test_a_deleted_or_unknown_file_does_not_open(file_store: FileStore) -> None:
    with pytest.raises(NoSuchFile):
        await file_store.open_stream(new_key("plans", "plan.docx"))
    stored = await file_store.put(b"data", kind="plans", filename="p.docx", content_type=ZIP)
    await file_store.delete(stored.key)
    with pytest.raises(NoSuchFile):
        await file_store.open_stream(stored.key)
