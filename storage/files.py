"""Stored files (plans, screenshots, packages) behind one small interface.

`LocalFileStore` keeps them in a folder (`FILES_DIR`, by default var/files); with several bot
instances `AzureBlobFileStore` (storage/file_store_azure.py) keeps them in one Azure Blob
Storage container, under the same keys. A key is opaque and unguessable:
`{kind}/{32 hex digits}/{file name}`. Whoever holds a key can read the file, so keys go to
users only inside signed, expiring links (bot/web/file_links.py).

Large files go both ways in chunks (`put_stream`, `open_stream`), never whole in memory. A
store that cannot be reached, answers 5xx or times out raises `FileStoreUnavailable`: nothing
of that file is stored, and whoever asked tries again later.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import re
import tempfile
import unicodedata
import uuid
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

_KIND = r"[a-z][a-z0-9_-]{0,31}"
_TOKEN = r"[0-9a-f]{32}"
# Letters (Swedish too), digits, space and a few marks; never a separator, a control character
# or a leading dot or space, so a name can be neither "..", nor hidden, nor a path.
_NAME = r"(?:[^\W_]|\()(?:[\w .,()+-]{0,118}[\w)])?"
KEY_PATTERN = re.compile(rf"(?P<kind>{_KIND})/(?P<token>{_TOKEN})/(?P<name>{_NAME})")
_CONTENT_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}")
_UNSAFE = re.compile(r"[^\w .,()+-]")
_UNSAFE_START = re.compile(r"^(?:[^\w(]|_)+")
_UNSAFE_END = re.compile(r"[^\w)]+$")
_META_NAME = ".meta.json"  # beside the file; a key's name can never start with a dot
_TEMP_PREFIX = ".tmp-"
CHUNK_BYTES = 1024 * 1024  # what a stream hands over at a time


class InvalidFileKey(ValueError):
    """A key that this store never hands out: refused before any path is built."""


class NoSuchFile(LookupError):
    """No stored file has this key (never stored, or deleted)."""


class FileStoreUnavailable(OSError):
    """The store could not be reached, failed or timed out: nothing was stored; try again."""


class ChecksumMismatch(ValueError):
    """The bytes given for a key are not the ones its SHA-256 names: nothing was stored."""


@dataclass(frozen=True)
class StoredFile:
    """A stored file's key and what is known about its content."""

    key: str
    sha256: str  # hex
    size: int
    content_type: str
    filename: str  # the name to offer a downloader; the key's last part


@dataclass(frozen=True)
class OpenedFile:
    """A stored file being read: what is known about it, and its bytes in chunks.

    Close `chunks` (`contextlib.aclosing`) when it is not read to the end."""

    stored: StoredFile
    chunks: AsyncGenerator[bytes, None]


class FileStore(Protocol):
    """Where the bot keeps files: a local folder, or an Azure Blob Storage container."""

    async def put(self, data: bytes, *, kind: str, filename: str, content_type: str) -> StoredFile:
        """Stores the bytes under a new, unguessable key."""
        ...

    async def put_stream(
        self, chunks: AsyncIterable[bytes], *, kind: str, filename: str, content_type: str
    ) -> StoredFile:
        """Stores bytes that come in chunks under a new key, all of them or none."""
        ...

    async def put_at(
        self, key: str, chunks: AsyncIterable[bytes], *, content_type: str, sha256: str
    ) -> StoredFile:
        """Stores a file under a key it already has (moving stores); raises ChecksumMismatch
        (nothing stored) when the bytes are not the SHA-256's, FileExistsError when the key is
        taken."""
        ...

    async def open_stream(self, key: str) -> OpenedFile:
        """Opens a stored file for reading in chunks; raises NoSuchFile."""
        ...

    def list_keys(self) -> AsyncIterator[str]:
        """Every key stored, in no particular order."""
        ...

    async def close(self) -> None:
        """Lets go of connections; the files stay."""
        ...

    async def stat(self, key: str) -> StoredFile | None:
        """Returns what is known about a stored file, or None when there is none."""
        ...

    async def open(self, key: str) -> bytes:
        """Returns a stored file's bytes; raises NoSuchFile."""
        ...

    async def exists(self, key: str) -> bool:
        """Tells whether a file is stored under the key."""
        ...

    async def delete(self, key: str) -> bool:
        """Removes a stored file; returns False when there was none."""
        ...


def check_content_type(content_type: str) -> None:
    """Refuses a content type that could carry a header or is not type/subtype."""
    if _CONTENT_TYPE.fullmatch(content_type) is None:
        raise ValueError(f"not a content type: {content_type!r}")


def check_key(key: str) -> None:
    """Raises InvalidFileKey for a key this store never hands out."""
    if not is_valid_key(key):
        raise InvalidFileKey("not a file key")


async def single_chunk(data: bytes) -> AsyncIterator[bytes]:
    """The bytes as a stream of one chunk."""
    yield data


async def forget(store: FileStore, keys: list[str]) -> None:
    """Deletes files that nothing will record (a failure after they were stored), as far as the
    store lets; what stays is only unreferenced bytes, never a record."""
    for key in keys:
        with contextlib.suppress(OSError):
            await store.delete(key)


def is_valid_key(key: str) -> bool:
    """Tells whether a key has the shape this store hands out."""
    return KEY_PATTERN.fullmatch(key) is not None


def safe_filename(filename: str) -> str:
    """Returns a file name that fits in a key: no path, no control characters, NFC letters."""
    name = unicodedata.normalize("NFC", filename)
    name = re.split(r"[/\\]", name)[-1]
    name = " ".join(_UNSAFE.sub(" ", name).split())
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem or len(extension) > 16 or not extension.isalnum():
        stem, dot, extension = name, "", ""
    stem = _UNSAFE_START.sub("", stem)[: 120 - len(dot + extension)]
    stem = _UNSAFE_END.sub("", stem)
    name = f"{stem}{dot}{extension}"
    if not is_valid_key(f"a/{'0' * 32}/{name}"):
        name = f"file{dot}{extension}"
    return name


def new_key(kind: str, filename: str) -> str:
    """Returns a fresh key for a file of a kind ("plans", "screenshots")."""
    if re.fullmatch(_KIND, kind) is None:
        raise ValueError(f"not a file kind: {kind!r}")
    return f"{kind}/{uuid.uuid4().hex}/{safe_filename(filename)}"


class LocalFileStore:
    """Files in a folder: each key is a directory holding the file and its metadata."""

    def __init__(self, root: Path) -> None:
        self._root = root.resolve()

    async def put(self, data: bytes, *, kind: str, filename: str, content_type: str) -> StoredFile:
        """Stores the bytes under a new key, file first and metadata last, each atomically."""
        check_content_type(content_type)
        key = new_key(kind, filename)
        return await self._store(key, single_chunk(data), content_type, None)

    async def put_stream(
        self, chunks: AsyncIterable[bytes], *, kind: str, filename: str, content_type: str
    ) -> StoredFile:
        """Stores chunks under a new key: written to a temporary file, renamed when complete."""
        check_content_type(content_type)
        return await self._store(new_key(kind, filename), chunks, content_type, None)

    async def put_at(
        self, key: str, chunks: AsyncIterable[bytes], *, content_type: str, sha256: str
    ) -> StoredFile:
        """Stores a file under its own key; nothing is kept when the SHA-256 differs."""
        check_content_type(content_type)
        if await self.stat(key) is not None:
            raise FileExistsError("a file is stored under this key")
        return await self._store(key, chunks, content_type, sha256.lower())

    async def open_stream(self, key: str) -> OpenedFile:
        """Opens the file (so a delete while it is read does not cut it short) and its chunks."""
        path = self._path(key)
        stored, file = await asyncio.to_thread(self._open, path)
        return OpenedFile(stored, _read_chunks(file))

    async def list_keys(self) -> AsyncIterator[str]:
        """Every complete file's key (its metadata written), folder by folder."""
        for key in await asyncio.to_thread(lambda: list(self._list_keys())):
            yield key

    async def close(self) -> None:
        """Nothing to let go of."""

    async def stat(self, key: str) -> StoredFile | None:
        """Returns the stored metadata of a key, or None when nothing is stored under it."""
        return await asyncio.to_thread(self._read_meta, self._path(key))

    async def open(self, key: str) -> bytes:
        """Returns the bytes stored under a key; raises NoSuchFile."""
        return await asyncio.to_thread(self._read, self._path(key))

    async def exists(self, key: str) -> bool:
        """Tells whether a file is stored under a key (its metadata is written last)."""
        return await self.stat(key) is not None

    async def delete(self, key: str) -> bool:
        """Removes a file and its directory; the metadata goes first, so it is gone at once."""
        return await asyncio.to_thread(self._remove, self._path(key))

    def _path(self, key: str) -> Path:
        check_key(key)
        path = self._root.joinpath(*key.split("/"))
        # The pattern already rules out "..", separators and absolute names; checked again
        # because a mistake here would serve any file on the machine.
        if not path.is_relative_to(self._root) or path.parent.parent.parent != self._root:
            raise InvalidFileKey("not a file key")
        return path

    async def _store(
        self, key: str, chunks: AsyncIterable[bytes], content_type: str, expected: str | None
    ) -> StoredFile:
        path = self._path(key)
        await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        descriptor, temporary = await asyncio.to_thread(
            tempfile.mkstemp, dir=path.parent, prefix=_TEMP_PREFIX
        )
        try:
            with os.fdopen(descriptor, "wb") as file:
                async for chunk in chunks:
                    digest.update(chunk)
                    size += len(chunk)
                    await asyncio.to_thread(file.write, chunk)
                await asyncio.to_thread(_flush, file)
            stored = StoredFile(key, digest.hexdigest(), size, content_type, path.name)
            if expected is not None and stored.sha256 != expected:
                raise ChecksumMismatch(f"{key}: the bytes are not the ones of its SHA-256")
            meta = {"sha256": stored.sha256, "size": size, "content_type": content_type}
            await asyncio.to_thread(self._commit, path, Path(temporary), meta)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                await asyncio.to_thread(os.unlink, temporary)
            await asyncio.to_thread(self._remove, path)
            raise
        return stored

    def _commit(self, path: Path, temporary: Path, meta: dict[str, object]) -> None:
        try:
            os.replace(temporary, path)
            _write_atomically(path.parent / _META_NAME, json.dumps(meta).encode("utf-8"))
        except OSError as error:
            raise FileStoreUnavailable(f"the file could not be written: {error}") from error

    def _open(self, path: Path) -> tuple[StoredFile, BinaryIO]:
        stored = self._read_meta(path)
        if stored is None:
            raise NoSuchFile("no file is stored under this key")
        try:
            return stored, path.open("rb")
        except FileNotFoundError:
            raise NoSuchFile("no file is stored under this key") from None

    def _list_keys(self) -> Iterator[str]:
        if not self._root.is_dir():
            return
        for meta in sorted(self._root.glob(f"*/*/{_META_NAME}")):
            for file in meta.parent.iterdir():
                key = "/".join(file.relative_to(self._root).parts)
                if is_valid_key(key):
                    yield key

    def _read_meta(self, path: Path) -> StoredFile | None:
        try:
            meta = json.loads((path.parent / _META_NAME).read_bytes())
        except FileNotFoundError:
            return None
        key = "/".join(path.relative_to(self._root).parts)
        return StoredFile(
            key=key,
            sha256=str(meta["sha256"]),
            size=int(meta["size"]),
            content_type=str(meta["content_type"]),
            filename=path.name,
        )

    def _read(self, path: Path) -> bytes:
        if not (path.parent / _META_NAME).is_file():
            raise NoSuchFile("no file is stored under this key")
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise NoSuchFile("no file is stored under this key") from None

    def _remove(self, path: Path) -> bool:
        existed = (path.parent / _META_NAME).is_file()
        for victim in (path.parent / _META_NAME, path):
            victim.unlink(missing_ok=True)
        with contextlib.suppress(FileNotFoundError, OSError):
            path.parent.rmdir()
        return existed


def _flush(file: BinaryIO) -> None:
    file.flush()
    os.fsync(file.fileno())


async def _read_chunks(file: BinaryIO) -> AsyncGenerator[bytes, None]:
    """The open file's bytes, a chunk at a time; closes it at the end or when closed early."""
    try:
        while chunk := await asyncio.to_thread(file.read, CHUNK_BYTES):
            yield chunk
    finally:
        file.close()


def _write_atomically(path: Path, data: bytes) -> None:
    """Writes a file so that readers see all of it or nothing, even after a crash."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=_TEMP_PREFIX)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
