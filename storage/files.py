"""Stored files (plans, screenshots, packages) behind one small interface.

`LocalFileStore` keeps them in a folder (`FILES_DIR`, by default var/files); a shared object
store can take its place when several bot instances run. A key is opaque and unguessable:
`{kind}/{32 hex digits}/{file name}`. Whoever holds a key can read the file, so keys go to
users only inside signed, expiring links (bot/web/file_links.py).
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
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

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


class InvalidFileKey(ValueError):
    """A key that this store never hands out: refused before any path is built."""


class NoSuchFile(LookupError):
    """No stored file has this key (never stored, or deleted)."""


@dataclass(frozen=True)
class StoredFile:
    """A stored file's key and what is known about its content."""

    key: str
    sha256: str  # hex
    size: int
    content_type: str
    filename: str  # the name to offer a downloader; the key's last part


class FileStore(Protocol):
    """Where the bot keeps files; the local folder is one implementation."""

    async def put(self, data: bytes, *, kind: str, filename: str, content_type: str) -> StoredFile:
        """Stores the bytes under a new, unguessable key."""
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
        if _CONTENT_TYPE.fullmatch(content_type) is None:
            raise ValueError(f"not a content type: {content_type!r}")
        key = new_key(kind, filename)
        stored = StoredFile(
            key=key,
            sha256=hashlib.sha256(data).hexdigest(),
            size=len(data),
            content_type=content_type,
            filename=key.rsplit("/", 1)[1],
        )
        await asyncio.to_thread(self._write, stored, data)
        return stored

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
        if not is_valid_key(key):
            raise InvalidFileKey("not a file key")
        path = self._root.joinpath(*key.split("/"))
        # The pattern already rules out "..", separators and absolute names; checked again
        # because a mistake here would serve any file on the machine.
        if not path.is_relative_to(self._root) or path.parent.parent.parent != self._root:
            raise InvalidFileKey("not a file key")
        return path

    def _write(self, stored: StoredFile, data: bytes) -> None:
        path = self._path(stored.key)
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {
            "sha256": stored.sha256,
            "size": stored.size,
            "content_type": stored.content_type,
        }
        try:
            _write_atomically(path, data)
            _write_atomically(path.parent / _META_NAME, json.dumps(meta).encode("utf-8"))
        except BaseException:
            self._remove(path)
            raise

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
