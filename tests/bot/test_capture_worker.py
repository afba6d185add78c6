"""The capture worker with a stand-in browser: files kept with checksums, crashes retried.

The tests with `file_store` run on the local folder and on Azure Blob Storage (Azurite)."""

from __future__ import annotations

import contextlib
import hashlib
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.capture.browser import Capture
from bot.capture.worker import CaptureWorker
from domain.clock import FixedClock
from storage.captures import MAX_ATTEMPTS, CaptureJob, CaptureStatus, CaptureStore
from storage.files import FileStore, FileStoreUnavailable
from storage.models import AuditEventRow, ChannelRow, DocumentationFileRow, DocumentationRoundRow
from tests.conftest import START
from tests.storage.test_captures import DUE, _channel, _request
from tests.support.azurite import Azurite
from tests.support.azurite_fixtures import azure_store, new_container
from tests.support.blob_faults import BlobFaults


class StandIn:
    """Answers every capture with the same picture, or raises like a browser that died."""

    def __init__(self, clock: FixedClock, *, dies: bool = False) -> None:
        self._clock = clock
        self._dies = dies
        self.urls: list[str] = []

    async def capture(self, url: str) -> Capture:
        self.urls.append(url)
        if self._dies:
            raise RuntimeError("browser died")
        return Capture(url, url, self._clock.now(), 200, png=b"\x89PNG\r\n\x1a\nx", pdf=b"%PDF-x")

    async def close(self) -> None:
        pass


def _worker(
    sessions: Any, clock: FixedClock, files: FileStore, capturer: StandIn
) -> CaptureWorker:
    return CaptureWorker(
        store=CaptureStore(sessions),
        capturer=capturer,
        files=files,
        sessions=sessions,
        clock=clock,
        timeout_seconds=5,
        wake_delivery=lambda: None,
    )


async def test_a_capture_keeps_png_pdf_and_warc_with_their_checksums(sessions, clock, file_store):
    channel = await _channel(sessions)
    await _request(sessions, channel, "https://www.instagram.com/ugglan")
    worker = _worker(sessions, clock, file_store, StandIn(clock))
    finished: list[CaptureJob] = []

    async def told(_session: Any, job: CaptureJob, _now: Any) -> None:
        finished.append(job)

    worker.on_finished = told
    assert await worker.run_once()
    assert not await worker.run_once()  # nothing more waits
    [job] = finished
    assert job.status == CaptureStatus.DONE and job.result["http_status"] == 200
    kinds = [f["content_type"] for f in job.result["files"]]
    assert kinds == ["image/png", "application/pdf", "application/warc"]
    store = file_store
    for file in job.result["files"]:
        assert hashlib.sha256(await store.open(file["key"])).hexdigest() == file["sha256"]


async def test_a_capture_that_keeps_killing_the_browser_fails_in_the_end(
    sessions, clock: FixedClock, file_store
):
    channel = await _channel(sessions)
    await _request(sessions, channel, "https://www.instagram.com/ugglan")
    dying = StandIn(clock, dies=True)
    worker = _worker(sessions, clock, file_store, dying)
    for _ in range(MAX_ATTEMPTS):
        # The loop logs it; the row keeps its lease and is taken again after it.
        with contextlib.suppress(RuntimeError):
            await worker.run_once()
        clock.set(clock.now() + timedelta(minutes=10))
    assert len(dying.urls) == MAX_ATTEMPTS
    assert await worker.run_once()  # the fourth claim gives up without a browser
    [job] = await CaptureStore(sessions).for_round(channel, DUE)
    assert job.status == CaptureStatus.FAILED and job.result == {"failure": "browser_failed"}


async def _captured_round(
    sessions: Any, clock: FixedClock, file_store: FileStore, **channel: Any
) -> int:
    """A channel with one finished capture of the round due DUE; `channel` changes it after."""
    channel_id = await _channel(sessions)
    await _request(sessions, channel_id, "https://www.instagram.com/ugglan")
    assert await _worker(sessions, clock, file_store, StandIn(clock)).run_once()
    async with sessions.begin() as session:
        row = await session.get(ChannelRow, channel_id)
        row.next_documentation_due = DUE
        for name, value in channel.items():
            setattr(row, name, value)
    return channel_id


async def _files_of(sessions: Any, channel_id: int) -> list[str]:
    jobs = await CaptureStore(sessions).for_round(channel_id, DUE)
    return [f["key"] for job in jobs for f in job.result.get("files", [])]


async def test_captures_of_cancelled_or_replaced_rounds_go_after_the_retention(
    sessions, clock: FixedClock, file_store
):
    clock.set(START)
    later = DUE + timedelta(days=182)
    replaced = await _captured_round(sessions, clock, file_store, next_documentation_due=later)
    cancelled = await _captured_round(sessions, clock, file_store, status="closed")
    still_open = await _captured_round(sessions, clock, file_store)
    finished = await _captured_round(sessions, clock, file_store, next_documentation_due=later)
    async with sessions.begin() as session:
        session.add(DocumentationRoundRow(channel_id=finished, due_date=DUE, completed_at=START))
    keys = {c: await _files_of(sessions, c) for c in (replaced, cancelled, still_open, finished)}
    assert all(len(k) == 3 for k in keys.values())
    store = file_store
    worker = _worker(sessions, clock, file_store, StandIn(clock))

    clock.set(START + timedelta(days=29))  # within the retention: all stay
    assert await worker.purge() == 0

    clock.set(START + timedelta(days=31))
    assert await worker.purge() == 2
    for gone in (replaced, cancelled):
        assert await CaptureStore(sessions).for_round(gone, DUE) == []
        assert not any([await store.exists(key) for key in keys[gone]])
    for kept in (still_open, finished):  # an open round, and a public record
        assert len(await CaptureStore(sessions).for_round(kept, DUE)) == 1
        assert all([await store.exists(key) for key in keys[kept]])
    async with sessions() as session:
        events = (
            await session.scalars(
                select(AuditEventRow).where(AuditEventRow.action == "captures_deleted")
            )
        ).all()
    assert sorted(int(e.subject_id) for e in events) == sorted([replaced, cancelled])
    assert await worker.purge() == 0


async def test_a_capture_file_a_record_refers_to_is_never_deleted(
    sessions, clock: FixedClock, file_store
):
    clock.set(START)
    channel = await _captured_round(sessions, clock, file_store, status="closed")
    [png, *_] = await _files_of(sessions, channel)
    # A record elsewhere (a closing export) kept the picture: the row goes, the file stays.
    async with sessions.begin() as session:
        documentation = DocumentationRoundRow(
            channel_id=channel, due_date=DUE - timedelta(days=182), completed_at=START
        )
        session.add(documentation)
        await session.flush()
        session.add(
            DocumentationFileRow(
                round_id=documentation.id,
                file_key=png,
                filename="x.png",
                content_type="image/png",
                size=1,
                sha256="0" * 64,
            )
        )
    clock.set(START + timedelta(days=31))
    assert await _worker(sessions, clock, file_store, StandIn(clock)).purge() == 1
    assert await file_store.exists(png)


async def test_a_capture_whose_files_cannot_be_stored_leaves_none_and_is_taken_again(
    sessions, clock: FixedClock, azurite: Azurite
):
    """The store takes the PNG, then answers 503: the PNG is deleted again, the row keeps its
    lease, and the next claim after it stores all three files."""
    channel = await _channel(sessions)
    await _request(sessions, channel, "https://www.instagram.com/ugglan")
    async with BlobFaults(azurite.port) as faults:
        store = azure_store(
            faults.connection_string, new_container(), timeout_seconds=2, retries=0
        )
        try:
            browser = StandIn(clock)
            worker = _worker(sessions, clock, store, browser)
            faults.commits_before_503 = 1
            with pytest.raises(FileStoreUnavailable):
                await worker.run_once()
            assert [key async for key in store.list_keys()] == []
            [job] = await CaptureStore(sessions).for_round(channel, DUE)
            assert job.status == CaptureStatus.RUNNING

            faults.heal()
            assert not await worker.run_once()  # leased: not taken again at once
            clock.set(clock.now() + timedelta(minutes=10))
            assert await worker.run_once()
            [job] = await CaptureStore(sessions).for_round(channel, DUE)
            assert job.status == CaptureStatus.DONE and len(browser.urls) == 2
            keys = sorted([key async for key in store.list_keys()])
            assert keys == sorted(f["key"] for f in job.result["files"]) and len(keys) == 3
        finally:
            await store.close()
