"""The outbox: every proactive message and e-mail is a row before it is sent.

Rows are claimed with a lease so that several bot instances never send the same row twice:
PostgreSQL skips rows another instance has locked (`FOR UPDATE SKIP LOCKED`); SQLite has a
single writer, so the claiming UPDATE is serialised by the database itself. A claimed row
whose lease ran out (the instance crashed between claim and send) is claimed again.

The one window left: an instance that sent a message and crashed before marking the row sent
makes the row be sent again after the lease. Marking happens right after the send returns,
so the window is one database round trip wide.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.outbox import NextStep, OutboxKind, OutboxStatus
from storage.db import insert_unless_exists
from storage.leases import claim_statement
from storage.models import OutboxRow


@dataclass(frozen=True)
class OutboxMessage:
    """A claimed outbox row, as the delivery loop sees it."""

    id: int
    kind: OutboxKind
    tenant_id: str | None
    recipient_person_id: int | None
    conversation_id: str | None
    recipient_address: str | None
    payload: dict[str, Any]
    attempts: int
    claimed_by: str


def enqueue(
    session: AsyncSession,
    *,
    kind: OutboxKind,
    payload: dict[str, Any],
    now: datetime,
    due_at: datetime | None = None,
    tenant_id: str | None = None,
    recipient_person_id: int | None = None,
    conversation_id: str | None = None,
    recipient_address: str | None = None,
    dedupe_key: str | None = None,
) -> OutboxRow:
    """Adds a message to the session's transaction; it is sent once the transaction commits."""
    row = OutboxRow(
        kind=kind.value,
        status=OutboxStatus.PENDING.value,
        tenant_id=tenant_id,
        recipient_person_id=recipient_person_id,
        conversation_id=conversation_id,
        recipient_address=recipient_address,
        payload=payload,
        dedupe_key=dedupe_key,
        due_at=due_at or now,
        attempts=0,
        created_at=now,
    )
    session.add(row)
    return row


async def enqueue_once(
    session: AsyncSession,
    *,
    kind: OutboxKind,
    payload: dict[str, Any],
    now: datetime,
    dedupe_key: str,
    due_at: datetime | None = None,
    tenant_id: str | None = None,
    recipient_person_id: int | None = None,
    conversation_id: str | None = None,
    recipient_address: str | None = None,
) -> bool:
    """Adds a message unless one with the same dedupe key exists; tells whether it was added."""
    values: dict[str, Any] = dict(
        kind=kind.value,
        status=OutboxStatus.PENDING.value,
        tenant_id=tenant_id,
        recipient_person_id=recipient_person_id,
        conversation_id=conversation_id,
        recipient_address=recipient_address,
        payload=payload,
        dedupe_key=dedupe_key,
        due_at=due_at or now,
        attempts=0,
        created_at=now,
    )
    return await insert_unless_exists(session, OutboxRow, values, unique=["dedupe_key"])


class OutboxStore:
    """Claims, and records the outcome of, outbox deliveries."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def claim(
        self,
        owner: str,
        now: datetime,
        lease_seconds: float,
        limit: int,
        kinds: tuple[OutboxKind, ...] | None = None,
        skip_tenants: Collection[str] = (),
    ) -> list[OutboxMessage]:
        """Claims up to `limit` due rows (or rows whose lease ran out) for this owner.

        Rows of `skip_tenants` stay where they are ("-" stands for rows without a tenant): a
        throttled or busy tenant's rows never take the place of another tenant's.
        """
        where: list[ColumnElement[bool]] = []
        if kinds:
            where.append(OutboxRow.kind.in_([k.value for k in kinds]))
        named = sorted(t for t in skip_tenants if t != "-")
        if named:
            others = OutboxRow.tenant_id.not_in(named)
            where.append(
                others if "-" in skip_tenants else or_(OutboxRow.tenant_id.is_(None), others)
            )
        elif "-" in skip_tenants:
            where.append(OutboxRow.tenant_id.is_not(None))
        statement = claim_statement(
            OutboxRow,
            waiting=OutboxStatus.PENDING.value,
            running=OutboxStatus.SENDING.value,
            owner=owner,
            now=now,
            lease_seconds=lease_seconds,
            limit=limit,
            order_by=(OutboxRow.due_at, OutboxRow.id),
            ready=OutboxRow.due_at <= now,
            where=where,
        )
        async with self._sessions.begin() as session:
            rows = (await session.execute(statement)).scalars().all()
            return sorted((_message(row) for row in rows), key=lambda m: m.id)

    async def next_due_at(self) -> datetime | None:
        """Returns when the earliest pending row becomes due (None when nothing waits)."""
        async with self._sessions() as session:
            pending = await session.scalar(
                select(func.min(OutboxRow.due_at)).where(
                    OutboxRow.status == OutboxStatus.PENDING.value
                )
            )
            leased = await session.scalar(
                select(func.min(OutboxRow.lease_until)).where(
                    OutboxRow.status == OutboxStatus.SENDING.value
                )
            )
        candidates = [t for t in (pending, leased) if t is not None]
        return min(candidates) if candidates else None

    async def mark_sent(
        self, message: OutboxMessage, now: datetime, result: dict[str, Any] | None = None
    ) -> bool:
        """Marks a row sent if this owner still holds it; tells whether it did."""
        return await self._finish(
            message, status=OutboxStatus.SENT, sent_at=now, result=result, last_error=None
        )

    async def mark_failed(self, message: OutboxMessage, step: NextStep, error: str) -> bool:
        """Records a failed attempt and what comes next (retry, dead or undeliverable)."""
        values: dict[str, Any] = {"status": step.status, "last_error": error[:2000]}
        if step.due_at is not None:
            values["due_at"] = step.due_at
        return await self._finish(message, **values)

    async def defer(self, message: OutboxMessage, due_at: datetime) -> bool:
        """Gives a claimed row back unsent, due again at `due_at`: its attempt is not counted
        (its tenant or conversation was throttled before it was tried)."""
        statement = (
            update(OutboxRow)
            .where(OutboxRow.id == message.id)
            .where(OutboxRow.claimed_by == message.claimed_by)
            .where(OutboxRow.status == OutboxStatus.SENDING.value)
            .values(
                status=OutboxStatus.PENDING.value,
                due_at=due_at,
                lease_until=None,
                attempts=OutboxRow.attempts - 1,
            )
        )
        async with self._sessions.begin() as session:
            result = await session.execute(statement)
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def _finish(self, message: OutboxMessage, **values: Any) -> bool:
        statement = (
            update(OutboxRow)
            .where(OutboxRow.id == message.id)
            .where(OutboxRow.claimed_by == message.claimed_by)
            .where(OutboxRow.status == OutboxStatus.SENDING.value)
            .values(lease_until=None, **{k: getattr(v, "value", v) for k, v in values.items()})
        )
        async with self._sessions.begin() as session:
            result = await session.execute(statement)
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def get(self, row_id: int) -> OutboxRow | None:
        """Returns one outbox row (for tests, the CLI and diagnostics)."""
        async with self._sessions() as session:
            return await session.get(OutboxRow, row_id)


def _message(row: OutboxRow) -> OutboxMessage:
    return OutboxMessage(
        id=row.id,
        kind=OutboxKind(row.kind),
        tenant_id=row.tenant_id,
        recipient_person_id=row.recipient_person_id,
        conversation_id=row.conversation_id,
        recipient_address=row.recipient_address,
        payload=row.payload,
        attempts=row.attempts,
        claimed_by=row.claimed_by or "",
    )
