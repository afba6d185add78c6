"""The capture queue: a page to capture is a row first, taken by one instance with a lease.

As in the outbox, PostgreSQL skips rows another instance has locked (`FOR UPDATE SKIP
LOCKED`) and SQLite serialises the claiming UPDATE. One row is claimed at a time: an instance
captures one page at a time. A row whose lease ran out (the instance or its browser died
mid-capture) is claimed again, up to `MAX_ATTEMPTS`; then it fails as "browser_failed".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, delete, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.lifecycle import ChannelStatus
from storage.audit import record_event
from storage.db import insert_unless_exists
from storage.files import FileStore
from storage.leases import claim_statement
from storage.models import (
    CaptureRow,
    ChannelRow,
    DocumentationFileRow,
    DocumentationRoundRow,
    EvidenceFileRow,
)

MAX_ATTEMPTS = 3


class CaptureStatus(StrEnum):
    """Where a capture is."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True)
class CaptureJob:
    """A capture as the worker and the documentation dialog see it."""

    id: int
    channel_id: int
    round_due: date
    person_id: int | None
    url: str
    start_page: bool
    status: CaptureStatus
    attempts: int
    claimed_by: str
    result: dict[str, Any]
    created_at: datetime


def capture_key(channel_id: int, due: date, url: str, person_id: int | None, on: date) -> str:
    """One capture a day per round, address and editor (None: taken as the round opens)."""
    return f"capture:{channel_id}:{due.isoformat()}:{on.isoformat()}:{person_id or 0}:{url}"[:256]


async def request_capture(
    session: AsyncSession,
    *,
    channel_id: int,
    round_due: date,
    url: str,
    now: datetime,
    on: date,
    person_id: int | None = None,
    start_page: bool = False,
) -> bool:
    """Queues a capture unless the same one is queued; tells whether it was added."""
    values: dict[str, Any] = dict(
        channel_id=channel_id,
        round_due=round_due,
        person_id=person_id,
        url=url,
        start_page=start_page,
        status=CaptureStatus.PENDING.value,
        dedupe_key=capture_key(channel_id, round_due, url, person_id, on),
        attempts=0,
        created_at=now,
    )
    return await insert_unless_exists(session, CaptureRow, values, unique=["dedupe_key"])


@dataclass(frozen=True)
class CaptureLimits:
    """The captures one editor may ask for, and one channel may get, in a day (the policy's)."""

    per_person: int
    per_channel: int


class CaptureRefusal(StrEnum):
    """Why an editor's capture was not queued."""

    PERSON = "person"  # the editor asked for the day's limit already
    CHANNEL = "channel"  # the channel got the day's limit already


async def queue_capture(
    session: AsyncSession,
    *,
    channel_id: int,
    round_due: date,
    url: str,
    now: datetime,
    on: date,
    day_started: datetime,
    limits: CaptureLimits,
    person_id: int,
    start_page: bool = False,
) -> CaptureRefusal | None:
    """Queues an editor's capture within the day's limits (issue 24, point 9).

    None when it is queued, or was already (asking again costs nothing); else why not. The
    counts are of the rows made since `day_started` (midnight where the organisation is).
    """
    key = capture_key(channel_id, round_due, url, person_id, on)
    if await session.scalar(select(CaptureRow.id).where(CaptureRow.dedupe_key == key)):
        return None
    today = CaptureRow.created_at >= day_started
    asked = await session.scalar(
        select(func.count())
        .select_from(CaptureRow)
        .where(today, CaptureRow.person_id == person_id)
    )
    if int(asked or 0) >= limits.per_person:
        return CaptureRefusal.PERSON
    got = await session.scalar(
        select(func.count())
        .select_from(CaptureRow)
        .where(today, CaptureRow.channel_id == channel_id)
    )
    if int(got or 0) >= limits.per_channel:
        return CaptureRefusal.CHANNEL
    await request_capture(
        session,
        channel_id=channel_id,
        round_due=round_due,
        url=url,
        now=now,
        on=on,
        person_id=person_id,
        start_page=start_page,
    )
    return None


class CaptureStore:
    """Claims captures, taking turns between organisations, and records their outcome."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._last_organisation: str | None = None  # whose capture this store claimed last

    async def claim(self, owner: str, now: datetime, lease_seconds: float) -> CaptureJob | None:
        """Claims a waiting capture (or one whose lease ran out) for this owner.

        Organisations take turns (round robin, issue 24 point 9): the next organisation after
        the one served last that has a capture waiting, and its oldest one. One organisation's
        long queue never holds another's back by more than one capture per turn.
        """
        async with self._sessions.begin() as session:
            waiting = sorted(
                await session.scalars(
                    select(ChannelRow.organisation)
                    .join(CaptureRow, CaptureRow.channel_id == ChannelRow.id)
                    .where(_free(now))
                    .distinct()
                )
            )
            last = self._last_organisation
            turns = [o for o in waiting if last is None or o > last]
            turns += [o for o in waiting if o not in turns]
            for organisation in turns:  # the first, unless another instance took its rows
                statement = claim_statement(
                    CaptureRow,
                    waiting=CaptureStatus.PENDING.value,
                    running=CaptureStatus.RUNNING.value,
                    owner=owner,
                    now=now,
                    lease_seconds=lease_seconds,
                    limit=1,
                    order_by=(CaptureRow.created_at, CaptureRow.id),
                    where=(
                        CaptureRow.channel_id.in_(
                            select(ChannelRow.id).where(ChannelRow.organisation == organisation)
                        ),
                    ),
                )
                row = (await session.execute(statement)).scalars().first()
                if row is not None:
                    self._last_organisation = organisation
                    return _job(row)
            return None

    async def waiting(self, now: datetime) -> int:
        """How many captures wait to be taken (queued, or running with a lease run out)."""
        async with self._sessions() as session:
            count = await session.scalar(
                select(func.count()).select_from(CaptureRow).where(_free(now))
            )
            return int(count or 0)

    async def finish(
        self,
        session: AsyncSession,
        job: CaptureJob,
        status: CaptureStatus,
        result: dict[str, Any],
        now: datetime,
    ) -> bool:
        """Records the outcome if this owner still holds the row; tells whether it did."""
        outcome = await session.execute(
            update(CaptureRow)
            .where(CaptureRow.id == job.id)
            .where(CaptureRow.claimed_by == job.claimed_by)
            .where(CaptureRow.status == CaptureStatus.RUNNING.value)
            .values(status=status.value, result=result, finished_at=now, lease_until=None)
            .execution_options(synchronize_session=False)
        )
        return bool(outcome.rowcount)  # type: ignore[attr-defined]

    async def for_round(self, channel_id: int, due: date) -> list[CaptureJob]:
        """The captures of one round, oldest first."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(CaptureRow)
                .where(CaptureRow.channel_id == channel_id, CaptureRow.round_due == due)
                .order_by(CaptureRow.id)
            )
            return [_job(row) for row in rows]

    async def show_to(self, job_id: int, person_id: int) -> bool:
        """Makes an unfinished capture without an editor report to this editor."""
        async with self._sessions.begin() as session:
            moved = await session.execute(
                update(CaptureRow)
                .where(CaptureRow.id == job_id, CaptureRow.person_id.is_(None))
                .where(
                    CaptureRow.status.in_(
                        [CaptureStatus.PENDING.value, CaptureStatus.RUNNING.value]
                    )
                )
                .values(person_id=person_id)
                .execution_options(synchronize_session=False)
            )
            return bool(moved.rowcount)  # type: ignore[attr-defined]


async def purge_abandoned(
    sessions: async_sessionmaker[AsyncSession],
    files: FileStore,
    *,
    before: datetime,
    now: datetime,
    limit: int = 500,
) -> int:
    """Deletes the captures (files, then rows) of rounds that will never finish; returns how many.

    A round never finishes when its channel left `active` (closing, closed: cancelled) or moved
    on to another due date (a later round replaced it) without a documentation of it. Only
    captures made before `before` (the policy's retention) go, and never a capture of a
    finished round: that is a public record (R12). A file that a kept record refers to stays.
    The files go first: a crash in between leaves rows whose files are gone, taken next time.
    """
    finished = exists().where(
        DocumentationRoundRow.channel_id == CaptureRow.channel_id,
        DocumentationRoundRow.due_date == CaptureRow.round_due,
    )
    async with sessions() as session:
        rows = (
            await session.scalars(
                select(CaptureRow)
                .join(ChannelRow, ChannelRow.id == CaptureRow.channel_id)
                .where(CaptureRow.created_at < before)
                .where(CaptureRow.status != CaptureStatus.RUNNING.value)
                .where(~finished)
                .where(
                    or_(
                        ChannelRow.status != ChannelStatus.ACTIVE.value,
                        ChannelRow.next_documentation_due.is_(None),
                        ChannelRow.next_documentation_due != CaptureRow.round_due,
                    )
                )
                .order_by(CaptureRow.id)
                .limit(limit)
            )
        ).all()
        keys = {str(f["key"]) for row in rows for f in (row.result or {}).get("files", [])}
        kept = set()
        if keys:
            for model in (DocumentationFileRow, EvidenceFileRow):
                column = model.file_key
                kept |= set(await session.scalars(select(column).where(column.in_(keys))))
        victims = [(row.id, row.channel_id, row.round_due) for row in rows]
    for key in sorted(keys - kept):
        await files.delete(key)
    if not victims:
        return 0
    async with sessions.begin() as session:
        await session.execute(
            delete(CaptureRow)
            .where(CaptureRow.id.in_([v[0] for v in victims]))
            .where(CaptureRow.status != CaptureStatus.RUNNING.value)
            .execution_options(synchronize_session=False)
        )
        for channel_id, due in sorted({(v[1], v[2]) for v in victims}):
            record_event(
                session,
                at=now,
                action="captures_deleted",
                subject_type="channel",
                subject_id=channel_id,
                details={
                    "round_due": due.isoformat(),
                    "captures": sum(1 for v in victims if (v[1], v[2]) == (channel_id, due)),
                    "reason": "the documentation round was cancelled or replaced",
                },
            )
    return len(victims)


def _free(now: datetime) -> ColumnElement[bool]:
    """A capture that may be claimed: queued, or running with a lease run out."""
    return (CaptureRow.status == CaptureStatus.PENDING.value) | (
        (CaptureRow.status == CaptureStatus.RUNNING.value) & (CaptureRow.lease_until < now)
    )


def _job(row: CaptureRow) -> CaptureJob:
    return CaptureJob(
        id=row.id,
        channel_id=row.channel_id,
        round_due=row.round_due,
        person_id=row.person_id,
        url=row.url,
        start_page=row.start_page,
        status=CaptureStatus(row.status),
        attempts=row.attempts,
        claimed_by=row.claimed_by or "",
        result=dict(row.result or {}),
        created_at=row.created_at,
    )
