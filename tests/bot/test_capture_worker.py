"""The capture worker with a stand-in browser: files kept with checksums, crashes retried."""

from __future__ import annotations

import contextlib
import hashlib
from datetime import timedelta
from typing import Any

from bot.capture.browser import Capture
from bot.capture.worker import CaptureWorker
from domain.clock import FixedClock
from storage.captures import MAX_ATTEMPTS, CaptureJob, CaptureStatus, CaptureStore
from storage.files import LocalFileStore
from tests.storage.test_captures import DUE, _channel, _request


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


def _worker(sessions: Any, clock: FixedClock, tmp_path: Any, capturer: StandIn) -> CaptureWorker:
    return CaptureWorker(
        store=CaptureStore(sessions),
        capturer=capturer,
        files=LocalFileStore(tmp_path / "files"),
        sessions=sessions,
        clock=clock,
        timeout_seconds=5,
        wake_delivery=lambda: None,
    )


async def test_a_capture_keeps_png_pdf_and_warc_with_their_checksums(sessions, clock, tmp_path):
    channel = await _channel(sessions)
    await _request(sessions, channel, "https://www.instagram.com/ugglan")
    worker = _worker(sessions, clock, tmp_path, StandIn(clock))
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
    store = LocalFileStore(tmp_path / "files")
    for file in job.result["files"]:
        assert hashlib.sha256(await store.open(file["key"])).hexdigest() == file["sha256"]


async def test_a_capture_that_keeps_killing_the_browser_fails_in_the_end(
    sessions, clock: FixedClock, tmp_path
):
    channel = await _channel(sessions)
    await _request(sessions, channel, "https://www.instagram.com/ugglan")
    dying = StandIn(clock, dies=True)
    worker = _worker(sessions, clock, tmp_path, dying)
    for _ in range(MAX_ATTEMPTS):
        # The loop logs it; the row keeps its lease and is taken again after it.
        with contextlib.suppress(RuntimeError):
            await worker.run_once()
        clock.set(clock.now() + timedelta(minutes=10))
    assert len(dying.urls) == MAX_ATTEMPTS
    assert await worker.run_once()  # the fourth claim gives up without a browser
    [job] = await CaptureStore(sessions).for_round(channel, DUE)
    assert job.status == CaptureStatus.FAILED and job.result == {"failure": "browser_failed"}
