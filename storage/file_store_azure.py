"""Stored files in one Azure Blob Storage container, for several bot instances (FILE_STORE).

The same keys as the local folder name the blobs; the SHA-256 is the blob's metadata, the
content type its Content-Type. A file is uploaded as blocks and becomes visible only when its
block list is committed, so a failure half-way leaves nothing that `stat`, `open` or `keys`
would find (the service drops uncommitted blocks by itself after a week).

Every failure of the service (refused connection, 5xx after the client's retries, a time-out)
is raised as `FileStoreUnavailable`; a missing blob is `NoSuchFile`/None, as on disk. No blob
URL or SAS is ever made: the bot streams the files itself through `/files/`.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import io
import logging
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Callable
from typing import Any, NoReturn

import aiohttp
from azure.core.exceptions import (
    AzureError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
)
from azure.storage.blob import BlobBlock, ContentSettings
from azure.storage.blob.aio import BlobServiceClient, ContainerClient, LinearRetry

from storage.files import (
    ChecksumMismatch,
    FileStoreUnavailable,
    NoSuchFile,
    OpenedFile,
    StoredFile,
    check_content_type,
    check_key,
    is_valid_key,
    new_key,
    single_chunk,
)

log = logging.getLogger(__name__)

BLOCK_BYTES = 4 * 1024 * 1024  # one staged block; a file is at most 50,000 of them
_SHA256 = "sha256"  # the metadata entry
_FAILURES = (AzureError, aiohttp.ClientError, OSError, TimeoutError)


def _unavailable(error: BaseException) -> NoReturn:
    log.warning("file store: Azure Blob Storage failed: %s", type(error).__name__)
    raise FileStoreUnavailable(f"Azure Blob Storage failed: {type(error).__name__}") from error


class AzureBlobFileStore:
    """Files as block blobs in one container, created when missing."""

    def __init__(
        self, service: BlobServiceClient, container: str, close: Callable[[], Any] | None = None
    ) -> None:
        self._service = service
        self._container: ContainerClient = service.get_container_client(container)
        self._ready = False
        self._lock = asyncio.Lock()
        self._close_credential = close

    @classmethod
    def connect(
        cls,
        *,
        container: str,
        connection_string: str = "",
        account_url: str = "",
        timeout_seconds: float = 30.0,
        retries: int = 3,
    ) -> AzureBlobFileStore:
        """A store on a connection string, or on an account URL with managed identity; the
        container is created at the first upload when it is missing."""
        options: dict[str, Any] = {
            "connection_timeout": timeout_seconds,
            "read_timeout": timeout_seconds,
            "retry_policy": LinearRetry(backoff=1, retry_total=retries, random_jitter_range=1),
            "max_single_get_size": BLOCK_BYTES,
            "max_chunk_get_size": BLOCK_BYTES,
        }
        if connection_string:
            service = BlobServiceClient.from_connection_string(connection_string, **options)
            return cls(service, container)
        from azure.identity.aio import DefaultAzureCredential

        # Managed identity in Azure (no key stored); a developer's az login elsewhere.
        credential = DefaultAzureCredential()
        service = BlobServiceClient(account_url, credential=credential, **options)
        return cls(service, container, credential.close)

    async def close(self) -> None:
        """Closes the client's connections (and the credential's)."""
        await self._service.close()
        if self._close_credential is not None:
            await self._close_credential()

    async def put(self, data: bytes, *, kind: str, filename: str, content_type: str) -> StoredFile:
        """Stores the bytes under a new key."""
        check_content_type(content_type)
        return await self._upload(new_key(kind, filename), single_chunk(data), content_type)

    async def put_stream(
        self, chunks: AsyncIterable[bytes], *, kind: str, filename: str, content_type: str
    ) -> StoredFile:
        """Stores chunks under a new key, block by block; visible only once committed."""
        check_content_type(content_type)
        return await self._upload(new_key(kind, filename), chunks, content_type)

    async def put_at(
        self, key: str, chunks: AsyncIterable[bytes], *, content_type: str, sha256: str
    ) -> StoredFile:
        """Stores a file under its own key; not committed when the SHA-256 differs, refused
        when the key is taken."""
        check_key(key)
        check_content_type(content_type)
        if await self.stat(key) is not None:  # and the commit is conditional, for a race
            raise FileExistsError("a file is stored under this key")
        return await self._upload(key, chunks, content_type, expected=sha256.lower())

    async def stat(self, key: str) -> StoredFile | None:
        """The blob's SHA-256, size and content type, or None."""
        check_key(key)
        try:
            properties = await self._container.get_blob_client(key).get_blob_properties()
        except ResourceNotFoundError:
            return None
        except _FAILURES as error:
            _unavailable(error)
        return _stored(key, properties)

    async def open(self, key: str) -> bytes:
        """The blob's bytes (small files: plans, attachments of e-mails)."""
        opened = await self.open_stream(key)
        async with contextlib.aclosing(opened.chunks) as chunks:
            return b"".join([chunk async for chunk in chunks])

    async def open_stream(self, key: str) -> OpenedFile:
        """Starts the download; the chunks come as they are read."""
        check_key(key)
        try:
            downloader = await self._container.get_blob_client(key).download_blob()
        except ResourceNotFoundError:
            raise NoSuchFile("no file is stored under this key") from None
        except _FAILURES as error:
            _unavailable(error)
        return OpenedFile(_stored(key, downloader.properties), _chunks_of(downloader))

    async def exists(self, key: str) -> bool:
        """Tells whether a blob is stored under the key."""
        return await self.stat(key) is not None

    async def delete(self, key: str) -> bool:
        """Deletes the blob; False when there was none."""
        check_key(key)
        try:
            await self._container.get_blob_client(key).delete_blob()
        except ResourceNotFoundError:
            return False
        except _FAILURES as error:
            _unavailable(error)
        return True

    async def list_keys(self) -> AsyncIterator[str]:
        """Every committed blob's name that is a key (anything else in the container is not
        ours to list)."""
        try:
            async for name in self._container.list_blob_names():
                if is_valid_key(name):
                    yield name
        except ResourceNotFoundError:
            return  # no container yet: no files
        except _FAILURES as error:
            _unavailable(error)

    async def _ensure_container(self) -> None:
        if self._ready:
            return
        async with self._lock:
            if self._ready:
                return
            try:
                await self._container.create_container()
                log.info("file store: created container %s", self._container.container_name)
            except ResourceExistsError:
                pass
            except _FAILURES as error:
                _unavailable(error)
            self._ready = True

    async def _upload(
        self,
        key: str,
        chunks: AsyncIterable[bytes],
        content_type: str,
        *,
        expected: str | None = None,
    ) -> StoredFile:
        await self._ensure_container()
        blob = self._container.get_blob_client(key)
        digest, size = hashlib.sha256(), 0
        blocks: list[BlobBlock] = []
        buffer = bytearray()

        async def stage(data: bytes) -> None:
            block_id = base64.b64encode(f"{len(blocks):08d}".encode()).decode("ascii")
            await blob.stage_block(block_id, io.BytesIO(data), length=len(data))
            blocks.append(BlobBlock(block_id=block_id))

        try:
            async for chunk in chunks:
                digest.update(chunk)
                size += len(chunk)
                buffer += chunk
                while len(buffer) >= BLOCK_BYTES:
                    await stage(bytes(buffer[:BLOCK_BYTES]))
                    del buffer[:BLOCK_BYTES]
            if buffer or not blocks:
                await stage(bytes(buffer))
            sha256 = digest.hexdigest()
            if expected is not None and sha256 != expected:
                raise ChecksumMismatch(f"{key}: the bytes are not the ones of its SHA-256")
            await blob.commit_block_list(
                blocks,
                content_settings=ContentSettings(content_type=content_type),
                metadata={_SHA256: sha256},
                if_none_match="*" if expected is not None else None,
            )
        except (ResourceExistsError, ResourceModifiedError):
            raise FileExistsError("a file is stored under this key") from None
        except _FAILURES as error:
            _unavailable(error)
        return StoredFile(key, sha256, size, content_type, key.rsplit("/", 1)[1])


def _stored(key: str, properties: Any) -> StoredFile:
    settings = properties.content_settings
    return StoredFile(
        key=key,
        sha256=str((properties.metadata or {}).get(_SHA256, "")),
        size=int(properties.size),
        content_type=str(settings.content_type or "application/octet-stream"),
        filename=key.rsplit("/", 1)[1],
    )


async def _chunks_of(downloader: Any) -> AsyncGenerator[bytes, None]:
    try:
        async for chunk in downloader.chunks():
            yield chunk
    except ResourceNotFoundError:
        raise NoSuchFile("the file was deleted while it was read") from None
    except _FAILURES as error:
        _unavailable(error)
