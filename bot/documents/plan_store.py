"""The plan documents (R5): rendered with python-docx, stored, linked by signed URLs."""

from __future__ import annotations

from datetime import timedelta

from bot.documents.plan_docx import plan_document_view, store_plan_document
from bot.web.file_links import FileLinkSigner
from cards.i18n import Texts
from domain.clock import Clock
from domain.plan import PlanSections
from storage.files import FileStore


class StoredDocuments:
    """Implements dialogs.services.Documents on a FileStore and a link signer."""

    def __init__(
        self, store: FileStore, signer: FileLinkSigner, base_url: str, clock: Clock
    ) -> None:
        self._store = store
        self._signer = signer
        self._base_url = base_url
        self._clock = clock

    async def store_plan(
        self,
        texts: Texts,
        *,
        channel_name: str,
        platform: str,
        unit: str,
        purpose: str,
        plan: PlanSections,
        editors: tuple[str, ...],
        manager: str,
        requester: str,
        created_at: str,
    ) -> tuple[str, str]:
        """Renders the plan as .docx and stores it; returns its key and SHA-256."""
        view = plan_document_view(
            texts,
            channel_name=channel_name,
            platform=platform,
            unit=unit,
            purpose_and_audience=purpose,
            plan=plan,
            editors=editors,
            manager=manager,
            requester=requester,
            created_at=created_at,
        )
        stored = await store_plan_document(self._store, view, texts, created=self._clock.now())
        return stored.key, stored.sha256

    async def store_file(
        self, data: bytes, *, kind: str, filename: str, content_type: str
    ) -> tuple[str, str]:
        """Stores a file the bot made (e.g. a CSV export); returns its key and SHA-256."""
        stored = await self._store.put(
            data, kind=kind, filename=filename, content_type=content_type
        )
        return stored.key, stored.sha256

    def link(self, key: str, ttl: timedelta) -> str:
        """Returns an unguessable, expiring URL to a stored file."""
        return self._signer.url_for(self._base_url, key, ttl)

    def route_link(self, path: str, ttl: timedelta) -> str:
        """Returns a signed, expiring URL to a route that makes its file when asked for."""
        return self._signer.route_url_for(self._base_url, path, ttl)
