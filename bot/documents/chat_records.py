"""Files from the chat kept as records, and documentation packages (R12)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import aiohttp
from microsoft_agents.hosting.core import TurnContext
from microsoft_agents.hosting.core.connector import ConnectorClientBase

from bot.documents.packages import write_package
from bot.teams.uploads import collect_uploads
from dialogs.services import StoredUpload
from storage.files import CHUNK_BYTES, FileStore, FileStoreUnavailable, forget

DOCUMENTATION_FILE_KIND = "documentation"
PACKAGE_KIND = "packages"


def _token_provider(turn_context: TurnContext) -> Callable[[], Awaitable[str | None]]:
    """The bot's own Bot Connector token, for inline images Teams keeps behind it."""

    async def token() -> str | None:
        # The turn's connector client already carries the token it got for this turn.
        client = turn_context.services.get(ConnectorClientBase)
        headers = getattr(getattr(client, "client", None), "headers", None) or {}
        scheme, _, value = str(headers.get("Authorization", "")).partition(" ")
        if scheme != "Bearer" or not value:
            return None  # local mode: no token
        return value

    return token


class StoredRecords:
    """Implements dialogs.services.Records on the file store."""

    def __init__(
        self,
        store: FileStore,
        http: aiohttp.ClientSession,
        max_bytes: int,
        *,
        timeout_seconds: float = 20.0,
    ) -> None:
        self._store = store
        self._http = http
        self._max_bytes = max_bytes
        self._timeout_seconds = timeout_seconds

    async def collect(
        self, turn_context: TurnContext, *, archives: bool = False
    ) -> tuple[list[StoredUpload], list[tuple[str, str]]]:
        """Stores the message's PNG, JPEG and PDF files (and ZIP with `archives`) with SHA-256."""
        uploads, errors = await collect_uploads(
            list(turn_context.activity.attachments or []),
            session=self._http,
            token_provider=_token_provider(turn_context),
            max_bytes=self._max_bytes,
            timeout_seconds=self._timeout_seconds,
            archives=archives,
        )
        stored: list[StoredUpload] = []
        try:
            for upload in uploads:
                kept = await self._store.put(
                    upload.data,
                    kind=DOCUMENTATION_FILE_KIND,
                    filename=upload.filename,
                    content_type=upload.content_type,
                )
                stored.append(
                    StoredUpload(
                        upload.filename, upload.content_type, kept.key, kept.sha256, kept.size
                    )
                )
        except FileStoreUnavailable:
            # The store failed half-way: the message's files are asked for again, all of them,
            # so the ones kept already would be nobody's.
            await forget(self._store, [upload.key for upload in stored])
            raise
        return stored, [(error.filename, error.code) for error in errors]

    async def package(
        self,
        *,
        channel_name: str,
        platform: str,
        unit: str,
        due: date,
        completed_by: str,
        completed_at: datetime,
        note: str | None,
        files: list[StoredUpload],
        start_page: str | None,
        filename: str,
        purpose: str = "documentation",
    ) -> tuple[str, str]:
        """Zips the files with an index and stores the package; returns its key and SHA-256.

        The files are streamed from the store to a temporary folder (each SHA-256 checked on
        the way), zipped there, and the zip streamed to the store: never whole in memory."""
        with tempfile.TemporaryDirectory(prefix="kanalkollen-package-") as folder:
            contents: list[tuple[str, Path, str, dict[str, Any] | None]] = []
            for number, upload in enumerate(files):
                path = Path(folder) / f"{number}"
                if await self._fetch(upload.key, path) != upload.sha256:
                    raise ValueError(f"stored file {upload.key} does not match its checksum")
                facts = None
                if upload.source_url is not None:  # a capture Kanalkollen took (R12)
                    facts = {
                        "address": upload.source_url,
                        "captured_at": upload.captured_at,
                        "http_status": upload.http_status,
                        "content_type": upload.content_type,
                    }
                contents.append((upload.filename, path, upload.sha256, facts))
            package = Path(folder) / "package.zip"
            await asyncio.to_thread(
                _write_package_file,
                package,
                channel_name=channel_name,
                platform=platform,
                unit=unit,
                period_due=due,
                completed_by=completed_by,
                completed_at=completed_at,
                note=note,
                files=contents,
                start_page=start_page,
                purpose=purpose,
            )
            stored = await self._store.put_stream(
                _chunks_of(package),
                kind=PACKAGE_KIND,
                filename=filename,
                content_type="application/zip",
            )
        return stored.key, stored.sha256

    async def _fetch(self, key: str, path: Path) -> str:
        """Streams a stored file to `path`; returns the SHA-256 of what arrived."""
        digest = hashlib.sha256()
        opened = await self._store.open_stream(key)
        async with contextlib.aclosing(opened.chunks) as chunks:
            with path.open("wb") as target:
                async for chunk in chunks:
                    digest.update(chunk)
                    await asyncio.to_thread(target.write, chunk)
        return digest.hexdigest()


def _write_package_file(path: Path, **package: Any) -> None:
    with path.open("wb") as out:
        write_package(out, **package)


async def _chunks_of(path: Path) -> AsyncIterator[bytes]:
    with path.open("rb") as source:
        while chunk := await asyncio.to_thread(source.read, CHUNK_BYTES):
            yield chunk
