"""The capture worker: takes one queued capture at a time, runs it, keeps the files.

Like the delivery loop it is woken when this process queues a capture and otherwise polls,
so captures queued by another instance or by the sweep are taken within the poll interval.
The sweep and the dialogs only add rows: nothing waits on a capture. A capture that outlives
its lease (the instance died) is taken again by whichever instance claims it next.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.capture.browser import Capture
from bot.capture.safety import host_of
from bot.delivery.loop import instance_name
from cards.i18n import Texts
from domain.clock import Clock
from storage.captures import (
    MAX_ATTEMPTS,
    CaptureJob,
    CaptureStatus,
    CaptureStore,
    purge_abandoned,
)
from storage.files import FileStore, FileStoreUnavailable, forget

log = logging.getLogger(__name__)

POLL_SECONDS = 5.0
PURGE_EVERY = timedelta(hours=1)
CAPTURE_FILE_KIND = "documentation"
# (session, finished job, now): tells the editor, in the transaction that records the outcome.
FinishedHook = Callable[[AsyncSession, CaptureJob, datetime], Awaitable[object]]


class Capturer(Protocol):
    """Captures one page (bot.capture.isolated.IsolatedCapturer, or a fake in tests)."""

    async def capture(self, url: str) -> Capture:
        """Captures the page or says why not."""
        ...

    async def close(self) -> None:
        """Stops the browser."""
        ...


class CaptureWorker:
    """One capture at a time for this instance, claimed from the database with a lease."""

    def __init__(
        self,
        *,
        store: CaptureStore,
        capturer: Capturer,
        files: FileStore,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        timeout_seconds: float,
        wake_delivery: Callable[[], None],
        owner: str | None = None,
        poll_seconds: float = POLL_SECONDS,
        retention: timedelta = timedelta(days=30),
    ) -> None:
        self._store = store
        self._capturer = capturer
        self._files = files
        self._sessions = sessions
        self._clock = clock
        self._wake_delivery = wake_delivery
        self.owner = owner or instance_name()
        # The lease outlasts the capture's own time limit, with room to store the files.
        self._lease_seconds = timeout_seconds * 2 + 60
        self._poll_seconds = poll_seconds
        self._retention = retention
        self._purged_at: datetime | None = None
        self.on_finished: FinishedHook | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def wake(self) -> None:
        """Looks for a queued capture now."""
        self._wake.set()

    def start(self) -> None:
        """Starts taking captures in the background."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="kanalkollen-capture")

    async def stop(self) -> None:
        """Stops; a capture in hand is abandoned (its row is taken again after the lease)."""
        if self._task is not None:
            self._stopping = True
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
            self._stopping = False
        await self._capturer.close()

    async def run_once(self) -> bool:
        """Takes one capture if one waits; tells whether it did."""
        job = await self._store.claim(self.owner, self._clock.now(), self._lease_seconds)
        if job is None:
            return False
        if job.attempts > MAX_ATTEMPTS:
            status, result = CaptureStatus.FAILED, {"failure": "browser_failed"}
        else:
            capture = await self._capturer.capture(job.url)
            status, result = await self._keep(capture)
        now = self._clock.now()
        async with self._sessions.begin() as session:
            finished = await self._store.finish(session, job, status, result, now)
            if finished and self.on_finished is not None:
                await self.on_finished(session, replace(job, status=status, result=result), now)
        self._wake_delivery()
        return True

    async def purge(self) -> int:
        """Deletes the captures of cancelled or replaced rounds past the retention."""
        now = self._clock.now()
        self._purged_at = now
        deleted = await purge_abandoned(
            self._sessions, self._files, before=now - self._retention, now=now
        )
        if deleted:
            log.info("capture: deleted %d capture(s) of rounds that will not finish", deleted)
        return deleted

    async def _purge_when_due(self) -> None:
        now = self._clock.now()
        if self._purged_at is None or now - self._purged_at >= PURGE_EVERY:
            await self.purge()

    async def drain(self) -> int:
        """Takes the captures waiting now, one at a time, and no more; returns how many.

        For `kanalkollen remind`: each capture is bounded by the page's time limit (and the
        helper's grace), and captures queued while it runs are left for the next run.
        """
        waiting = await self._store.waiting(self._clock.now())
        taken = 0
        while taken < waiting and await self.run_once():
            taken += 1
        return taken

    async def _keep(self, capture: Capture) -> tuple[CaptureStatus, dict[str, Any]]:
        """Stores the PNG, the PDF and the WARC with their SHA-256; the facts for the index."""
        facts: dict[str, Any] = {
            "http_status": capture.http_status,
            "captured_at": capture.captured_at.isoformat(),
            "final_url": capture.final_url,
            "seconds": capture.seconds,
        }
        if capture.failure is not None:
            return CaptureStatus.FAILED, {**facts, "failure": capture.failure}
        sv = Texts("sv")
        values = dict(
            host=host_of(capture.url), date=capture.captured_at.strftime("%Y-%m-%d %H%M")
        )
        files: list[dict[str, Any]] = []
        for data, content_type, name in (
            (capture.png, "image/png", "capture.png_name"),
            (capture.pdf, "application/pdf", "capture.pdf_name"),
            (capture.warc, "application/warc", "capture.warc_name"),
        ):
            filename = sv(name, **values)
            try:
                kept = await self._files.put(
                    data, kind=CAPTURE_FILE_KIND, filename=filename, content_type=content_type
                )
            except FileStoreUnavailable:
                # The row keeps its lease and is taken again later: the files kept so far
                # would be nobody's.
                await forget(self._files, [f["key"] for f in files])
                raise
            files.append(
                {
                    "filename": filename,
                    "content_type": content_type,
                    "key": kept.key,
                    "sha256": kept.sha256,
                    "size": kept.size,
                }
            )
        return CaptureStatus.DONE, {**facts, "files": files, "resources": capture.resources}

    async def _run(self) -> None:
        while not self._stopping:
            try:
                await self._purge_when_due()
                took = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("capture worker: a capture failed; trying again after the poll")
                took = False
            if took:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll_seconds)
            self._wake.clear()
