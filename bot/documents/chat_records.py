"""Files from the chat kept as records, and the records packages (R11-R13) built from them."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from pathlib import Path

import aiohttp
from microsoft_agents.hosting.core import TurnContext
from microsoft_agents.hosting.core.connector import ConnectorClientBase

from bot.documents.package_zip import file_chunks
from bot.documents.records_package import PackageRequest, write_stored_package
from bot.teams.uploads import collect_uploads
from dialogs.services import StoredUpload
from domain.policy import RecordsPolicy
from storage.files import FileStore, FileStoreUnavailable, forget

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
            service_url=turn_context.activity.service_url,
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
        address: str | None = None,
        period_start: date | None = None,
        administration: str = "",
        records: RecordsPolicy | None = None,
    ) -> tuple[str, str]:
        """Builds the package in the policy's format (an E-ARK SIP by default) and stores it;
        returns its key and SHA-256."""
        request = PackageRequest(
            purpose=purpose,
            channel_name=channel_name,
            platform=platform,
            unit=unit,
            due=due,
            completed_by=completed_by,
            completed_at=completed_at,
            note=note,
            start_page=start_page,
            address=address,
            period_start=period_start,
            administration=administration,
        )
        with tempfile.TemporaryDirectory(prefix="kanalkollen-package-") as name:
            # Issue 28: the stored files are streamed to a temporary folder, the package is
            # written from them to a file there and stored from it, all in chunks.
            folder = Path(name)
            package = folder / "package.zip"
            await write_stored_package(
                self._store,
                request,
                files,
                records or RecordsPolicy(),
                target=package,
                folder=folder,
            )
            async with contextlib.aclosing(file_chunks(package)) as chunks:
                stored = await self._store.put_stream(
                    chunks, kind=PACKAGE_KIND, filename=filename, content_type="application/zip"
                )
        return stored.key, stored.sha256
