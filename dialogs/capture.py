"""Kanalkollen's own captures in the documentation round (R12).

When a round opens, and when an editor presses "Dokumentera nu", the channel's public address
is queued for a capture; the capture worker (bot/capture/worker.py) takes it, and `notify`
shows the picture in the editor's chat ("Så här såg startsidan ut i dag — stämmer det?") or
tells them in one sentence why it could not be done. When the editor is done, the round's
finished captures join their own screenshots (`files_for`). Without a browser nothing here is
used and the round is as before: screenshots only.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cards.capture import CaptureView, capture_card
from cards.i18n import Texts
from dialogs.channel_views import when
from dialogs.notify import queue_card, queue_text, texts_for
from dialogs.services import FlowServices, StoredUpload
from domain.documentation import policy_zone, today_in
from storage.captures import (
    CaptureJob,
    CaptureLimits,
    CaptureRefusal,
    CaptureStatus,
    CaptureStore,
    queue_capture,
    request_capture,
)
from storage.models import ChannelRow, PersonRow

LINK_TTL = timedelta(days=7)
WARC_TYPE = "application/warc"


def host_of(url: str) -> str:
    """The lower-case host of an address (the rule that captures keep to)."""
    from urllib.parse import urlsplit

    return (urlsplit(url).hostname or "").rstrip(".").lower()


class CaptureFlow:
    """Queues captures for a round, shows them, and hands them to the round's package."""

    def __init__(self, services: FlowServices) -> None:
        self._s = services
        self._store = CaptureStore(services.sessions)

    @property
    def enabled(self) -> bool:
        """True when a browser was found at start-up."""
        return self._s.wake_capture is not None

    def _today(self, channel: ChannelRow | None) -> date:
        """Today in the channel's organisation's time zone (a capture is one a day)."""
        return self._day(self._s.clock.now(), channel)

    def _wake(self) -> None:
        if self._s.wake_capture is not None:
            self._s.wake_capture()

    async def round_opens(self, session: AsyncSession, channel_id: int, due: date) -> None:
        """The sweep queues the start page's capture once a day while the round is open."""
        if not self.enabled:
            return
        channel = await session.get(ChannelRow, channel_id)
        if channel is None or not channel.address:
            return
        await request_capture(
            session,
            channel_id=channel_id,
            round_due=due,
            url=channel.address,
            now=self._s.clock.now(),
            on=self._today(channel),
            start_page=True,
        )

    async def begin(self, texts: Texts, person_id: int, channel_id: int, due: date) -> str | None:
        """Gets today's start-page capture to this editor; returns what to tell them, if any."""
        if not self.enabled:
            return None
        now = self._s.clock.now()
        async with self._s.sessions() as session:
            channel = await session.get(ChannelRow, channel_id)
            address = channel.address if channel is not None else None
        if not address:
            return None
        today = self._today(channel)
        today_jobs = [
            j
            for j in await self._store.for_round(channel_id, due)
            if j.start_page and j.url == address and self._day(j.created_at, channel) == today
        ]
        mine = [j for j in today_jobs if j.person_id == person_id]
        shared = [j for j in today_jobs if j.person_id is None]
        finished = (CaptureStatus.DONE, CaptureStatus.FAILED)
        shown = mine[-1] if mine else None
        if shown is None and shared and shared[-1].status == CaptureStatus.DONE:
            shown = shared[-1]
        if shown is not None and shown.status in finished:
            # Today's picture (or why there is none) exists already: told at once, not retaken.
            async with self._s.sessions.begin() as session:
                await self.notify(session, shown, now, person_id=person_id)
            self._s.wake_delivery()
            return None
        waiting = bool(shared) and shared[-1].status != CaptureStatus.FAILED
        if not mine and waiting and await self._store.show_to(shared[-1].id, person_id):
            return texts("capture.started", address=address)
        async with self._s.sessions.begin() as session:
            refused = await queue_capture(
                session,
                channel_id=channel_id,
                round_due=due,
                url=address,
                now=now,
                on=self._today(channel),
                **self._limits(channel),
                person_id=person_id,
                start_page=True,
            )
        if refused is not None:
            return self._refusal(texts, refused, channel)
        self._s.wake_delivery()
        self._wake()
        return texts("capture.started", address=address)

    async def request_page(
        self, texts: Texts, person_id: int, channel_id: int, due: date, url: str
    ) -> str | None:
        """Queues another of the channel's public pages; None when captures are off."""
        if not self.enabled:
            return None
        async with self._s.sessions.begin() as session:
            channel = await session.get(ChannelRow, channel_id)
            if channel is None or not channel.address:
                return None
            host = host_of(channel.address)
            # A capture never leaves the channel's own address.
            if host_of(url) != host:
                return texts("capture.other_host", host=host)
            refused = await queue_capture(
                session,
                channel_id=channel_id,
                round_due=due,
                url=url,
                now=self._s.clock.now(),
                on=self._today(channel),
                **self._limits(channel),
                person_id=person_id,
                start_page=url == channel.address,
            )
            if refused is not None:
                return self._refusal(texts, refused, channel)
        self._wake()
        return texts("capture.queued", address=url)

    async def notify(
        self,
        session: AsyncSession,
        job: CaptureJob,
        now: datetime,
        *,
        person_id: int | None = None,
    ) -> None:
        """Shows a finished capture to its editor, or says in one sentence why there is none."""
        person = await session.get(PersonRow, person_id or job.person_id or 0)
        if person is None:
            return  # the round-open capture: shown when an editor starts the round
        texts = texts_for(person)
        failure = job.result.get("failure")
        if failure:
            reason = texts(f"capture.reason_{failure}", status=job.result.get("http_status") or "")
            queue_text(
                session, person, texts("capture.failed", address=job.url, reason=reason), now
            )
            return
        png = next(f for f in job.result["files"] if f["content_type"] == "image/png")
        view = CaptureView(
            address=job.url,
            image_url=self._s.documents.link(png["key"], LINK_TTL),
            captured_at=when(texts, datetime.fromisoformat(job.result["captured_at"])),
            start_page=job.start_page,
        )
        await queue_card(session, person, capture_card(view, texts), now)

    async def files_for(
        self, person_id: int, channel_id: int, due: date, *, since: datetime | None = None
    ) -> tuple[list[StoredUpload], list[str]]:
        """Today's finished captures for this editor (start page first, WARCs last) and the
        addresses still being captured (of those requested at `since` or later, when given)."""
        if not self.enabled:
            return [], []
        async with self._s.sessions() as session:
            channel = await session.get(ChannelRow, channel_id)
        today = self._today(channel)
        jobs = [
            j
            for j in await self._store.for_round(channel_id, due)
            if j.person_id in (person_id, None) and self._day(j.created_at, channel) == today
        ]
        pending = [
            j.url
            for j in jobs
            if j.person_id == person_id
            and j.status in _UNFINISHED
            and (since is None or j.created_at >= since)
        ]
        done = [j for j in jobs if j.status == CaptureStatus.DONE]
        # One capture per address: the editor's own before the shared one.
        chosen: dict[str, CaptureJob] = {}
        for job in sorted(done, key=lambda j: (j.person_id is None, j.id)):
            chosen.setdefault(job.url, job)
        ordered = sorted(chosen.values(), key=lambda j: (not j.start_page, j.id))
        files = [_upload(job, f) for job in ordered for f in job.result["files"]]
        files.sort(key=lambda f: f.content_type == WARC_TYPE)  # stable: WARCs go last
        return files, pending

    def _limits(self, channel: ChannelRow) -> dict[str, Any]:
        """The day's limits of the channel's organisation, and when its day started."""
        policy = self._s.policy_for(channel).documentation
        midnight = datetime.combine(self._today(channel), time(), tzinfo=policy_zone(policy))
        return {
            "day_started": midnight.astimezone(UTC),
            "limits": CaptureLimits(
                per_person=policy.max_captures_per_person_per_day,
                per_channel=policy.max_captures_per_channel_per_day,
            ),
        }

    def _refusal(self, texts: Texts, refused: CaptureRefusal, channel: ChannelRow) -> str:
        """The sentence for a capture over the day's limit (issue 24, point 9)."""
        limits: CaptureLimits = self._limits(channel)["limits"]
        if refused is CaptureRefusal.PERSON:
            return texts("capture.limit_person", limit=limits.per_person)
        return texts("capture.limit_channel", limit=limits.per_channel)

    def _day(self, moment: datetime, channel: ChannelRow | None) -> date:
        policy = self._s.policy_for(channel) if channel is not None else self._s.policy
        return today_in(moment, policy.documentation)


_UNFINISHED = (CaptureStatus.PENDING, CaptureStatus.RUNNING)


def _upload(job: CaptureJob, file: dict[str, object]) -> StoredUpload:
    return StoredUpload(
        filename=str(file["filename"]),
        content_type=str(file["content_type"]),
        key=str(file["key"]),
        sha256=str(file["sha256"]),
        size=int(str(file["size"])),
        source_url=job.url,
        captured_at=str(job.result["captured_at"]),
        http_status=job.result.get("http_status"),
    )
