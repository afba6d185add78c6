"""The outbox: due rows are claimed with a lease, once, by one owner at a time."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from domain.outbox import NextStep, OutboxKind, OutboxStatus
from storage.db import session_factory
from storage.models import OutboxRow
from storage.outbox import OutboxMessage, OutboxStore, enqueue, enqueue_once
from tests.conftest import START
from tests.storage.factories import make_outbox_row

LEASE = 60.0


@pytest.fixture
def store(sessions: async_sessionmaker[AsyncSession]) -> OutboxStore:
    """The outbox store of the first bot instance."""
    return OutboxStore(sessions)


async def _enqueue(sessions: async_sessionmaker[AsyncSession], **overrides: Any) -> int:
    """Enqueues one row built by make_outbox_row and commits; returns its id."""
    async with sessions.begin() as session:
        row = enqueue(session, **make_outbox_row(**overrides))
        await session.flush()
        return row.id


async def _row(store: OutboxStore, row_id: int) -> OutboxRow:
    row = await store.get(row_id)
    assert row is not None
    return row


async def _claim_one(store: OutboxStore, owner: str, now: datetime) -> OutboxMessage:
    [message] = await store.claim(owner, now, LEASE, limit=10)
    return message


async def test_claim_returns_due_rows_only_and_leases_them(
    sessions: async_sessionmaker[AsyncSession], store: OutboxStore
) -> None:
    later = await _enqueue(sessions, due_at=START - timedelta(minutes=1))
    earlier = await _enqueue(sessions, due_at=START - timedelta(hours=1))
    now_due = await _enqueue(sessions)
    future = await _enqueue(sessions, due_at=START + timedelta(seconds=1))

    claimed = await store.claim("instans-a", START, LEASE, limit=10)

    assert [m.id for m in claimed] == sorted([earlier, later, now_due])
    assert {(m.attempts, m.claimed_by) for m in claimed} == {(1, "instans-a")}
    row = await _row(store, now_due)
    assert row.status == OutboxStatus.SENDING
    assert row.claimed_by == "instans-a"
    assert row.lease_until == START + timedelta(seconds=LEASE)
    untouched = await _row(store, future)
    assert (untouched.status, untouched.attempts, untouched.claimed_by) == ("pending", 0, None)


async def test_claim_takes_the_earliest_due_rows_up_to_the_limit(
    sessions: async_sessionmaker[AsyncSession], store: OutboxStore
) -> None:
    ids = [
        await _enqueue(sessions, due_at=START - timedelta(minutes=minutes))
        for minutes in (1, 5, 3, 4, 2)
    ]

    claimed = await store.claim("instans-a", START, LEASE, limit=2)

    assert [m.id for m in claimed] == sorted([ids[1], ids[3]])


async def test_a_claimed_row_waits_for_its_lease_to_run_out(
    sessions: async_sessionmaker[AsyncSession], store: OutboxStore
) -> None:
    row_id = await _enqueue(sessions)
    await _claim_one(store, "instans-a", START)
    lease_end = START + timedelta(seconds=LEASE)

    assert await store.claim("instans-b", START, LEASE, limit=10) == []
    assert await store.claim("instans-b", lease_end, LEASE, limit=10) == []

    taken_over = await _claim_one(store, "instans-b", lease_end + timedelta(seconds=1))

    assert (taken_over.id, taken_over.claimed_by, taken_over.attempts) == (row_id, "instans-b", 2)
    row = await _row(store, row_id)
    assert row.lease_until == lease_end + timedelta(seconds=1 + LEASE)


async def test_mark_sent_only_succeeds_for_the_owner_that_holds_the_claim(
    sessions: async_sessionmaker[AsyncSession], store: OutboxStore
) -> None:
    row_id = await _enqueue(sessions)
    first = await _claim_one(store, "instans-a", START)
    takeover_at = START + timedelta(seconds=LEASE + 1)
    second = await _claim_one(store, "instans-b", takeover_at)

    assert not await store.mark_sent(first, takeover_at, {"id": "från-a"})
    row = await _row(store, row_id)
    assert (row.status, row.claimed_by, row.sent_at) == ("sending", "instans-b", None)

    assert await store.mark_sent(second, takeover_at, {"id": "1:aktivitet"})
    row = await _row(store, row_id)
    assert (row.status, row.sent_at, row.result) == ("sent", takeover_at, {"id": "1:aktivitet"})
    assert row.lease_until is None
    # A sent row is neither marked again nor claimed again.
    assert not await store.mark_sent(second, takeover_at)
    assert await store.claim("instans-c", takeover_at + timedelta(days=1), LEASE, 10) == []


async def test_mark_failed_with_a_retry_makes_the_row_due_again_later(
    sessions: async_sessionmaker[AsyncSession], store: OutboxStore
) -> None:
    row_id = await _enqueue(sessions)
    message = await _claim_one(store, "instans-a", START)
    retry_at = START + timedelta(seconds=30)

    assert await store.mark_failed(message, NextStep(OutboxStatus.PENDING, retry_at), "x" * 5000)

    row = await _row(store, row_id)
    assert (row.status, row.due_at, row.lease_until) == ("pending", retry_at, None)
    assert row.last_error == "x" * 2000
    assert await store.claim("instans-a", retry_at - timedelta(seconds=1), LEASE, 10) == []
    again = await _claim_one(store, "instans-b", retry_at)
    assert (again.id, again.attempts) == (row_id, 2)


@pytest.mark.parametrize("status", [OutboxStatus.DEAD, OutboxStatus.UNDELIVERABLE])
async def test_mark_failed_for_good_keeps_the_row_out_of_later_claims(
    sessions: async_sessionmaker[AsyncSession], store: OutboxStore, status: OutboxStatus
) -> None:
    row_id = await _enqueue(sessions)
    message = await _claim_one(store, "instans-a", START)

    assert await store.mark_failed(message, NextStep(status), "403 Forbidden")

    row = await _row(store, row_id)
    assert (row.status, row.due_at, row.last_error) == (status, START, "403 Forbidden")
    assert await store.claim("instans-a", START + timedelta(days=7), LEASE, 10) == []


async def test_mark_failed_by_an_owner_that_lost_the_lease_changes_nothing(
    sessions: async_sessionmaker[AsyncSession], store: OutboxStore
) -> None:
    row_id = await _enqueue(sessions)
    first = await _claim_one(store, "instans-a", START)
    await _claim_one(store, "instans-b", START + timedelta(seconds=LEASE + 1))

    assert not await store.mark_failed(first, NextStep(OutboxStatus.DEAD), "för sent")

    row = await _row(store, row_id)
    assert (row.status, row.claimed_by, row.last_error) == ("sending", "instans-b", None)


async def test_enqueue_once_adds_a_dedupe_key_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    added = []
    for key in ("påminnelse:kanal-1:2026-03", "påminnelse:kanal-1:2026-03", "annan"):
        async with sessions.begin() as session:
            added.append(await enqueue_once(session, **make_outbox_row(dedupe_key=key)))
    async with sessions.begin() as session:
        # Twice in one transaction, too.
        added.append(await enqueue_once(session, **make_outbox_row(dedupe_key="tredje")))
        added.append(await enqueue_once(session, **make_outbox_row(dedupe_key="tredje")))

    assert added == [True, False, True, True, False]
    async with sessions() as session:
        keys = (await session.scalars(select(OutboxRow.dedupe_key).order_by(OutboxRow.id))).all()
    assert keys == ["påminnelse:kanal-1:2026-03", "annan", "tredje"]


async def test_claim_filters_by_kind(
    sessions: async_sessionmaker[AsyncSession], store: OutboxStore
) -> None:
    teams = await _enqueue(sessions, kind=OutboxKind.TEAMS_MESSAGE)
    email = await _enqueue(sessions, kind=OutboxKind.EMAIL, recipient_address="a@example.org")
    update = await _enqueue(sessions, kind=OutboxKind.TEAMS_UPDATE)

    emails = await store.claim("post", START, LEASE, 10, kinds=(OutboxKind.EMAIL,))
    teams_rows = await store.claim(
        "teams", START, LEASE, 10, kinds=(OutboxKind.TEAMS_MESSAGE, OutboxKind.TEAMS_UPDATE)
    )

    assert [(m.id, m.kind) for m in emails] == [(email, OutboxKind.EMAIL)]
    assert [m.id for m in teams_rows] == [teams, update]


async def test_next_due_at(sessions: async_sessionmaker[AsyncSession], store: OutboxStore) -> None:
    assert await store.next_due_at() is None

    await _enqueue(sessions, due_at=START + timedelta(hours=2))
    soon = START + timedelta(minutes=10)
    await _enqueue(sessions, due_at=soon)
    # Aware, like the clock it is compared with (SQLite stores no offset).
    assert await store.next_due_at() == soon
    assert (await store.next_due_at() or START).utcoffset() == timedelta(0)

    # A claimed row counts from when its lease runs out.
    await _enqueue(sessions, due_at=START - timedelta(hours=1))
    await _claim_one(store, "instans-a", START)
    assert await store.next_due_at() == START + timedelta(seconds=LEASE)


async def test_next_due_at_ignores_finished_rows(
    sessions: async_sessionmaker[AsyncSession], store: OutboxStore
) -> None:
    await _enqueue(sessions)
    await store.mark_sent(await _claim_one(store, "instans-a", START), START)

    assert await store.next_due_at() is None


async def test_two_instances_claiming_at_once_never_claim_a_row_twice(
    sessions: async_sessionmaker[AsyncSession], store: OutboxStore, second_engine: AsyncEngine
) -> None:
    other = OutboxStore(session_factory(second_engine))
    async with sessions.begin() as session:
        for number in range(200):
            enqueue(session, **make_outbox_row(payload={"number": number}))

    async def deliver_all(instance: OutboxStore, owner: str) -> list[int]:
        claimed: list[int] = []
        while batch := await instance.claim(owner, START, LEASE, limit=7):
            for message in batch:
                assert await instance.mark_sent(message, START)
            claimed.extend(m.id for m in batch)
        return claimed

    first, second = await asyncio.gather(
        deliver_all(store, "instans-a"), deliver_all(other, "instans-b")
    )

    assert not set(first) & set(second)
    assert len(first) + len(second) == 200
    async with sessions() as session:
        statuses = await session.execute(
            select(OutboxRow.status, func.count(), func.max(OutboxRow.attempts)).group_by(
                OutboxRow.status
            )
        )
        assert statuses.all() == [("sent", 200, 1)]


async def test_claim_leaves_the_rows_of_skipped_tenants(
    sessions: async_sessionmaker[AsyncSession], store: OutboxStore
) -> None:
    """A throttled or busy tenant's rows stay pending; other tenants' rows (and rows without a
    tenant, unless "-" is skipped) are claimed."""
    a = await _enqueue(sessions, tenant_id="tenant-a")
    b = await _enqueue(sessions, tenant_id="tenant-b")
    none = await _enqueue(sessions, tenant_id=None)

    claimed = await store.claim("instans-a", START, LEASE, limit=10, skip_tenants=["tenant-a"])
    assert sorted(m.id for m in claimed) == sorted([b, none])
    assert (await _row(store, a)).status == OutboxStatus.PENDING.value

    later = await _enqueue(sessions, tenant_id=None)
    claimed = await store.claim("instans-b", START, LEASE, limit=10, skip_tenants=["-"])
    assert [m.id for m in claimed] == [a]
    assert (await _row(store, later)).status == OutboxStatus.PENDING.value


async def test_a_deferred_row_goes_back_untried_and_due_later(
    sessions: async_sessionmaker[AsyncSession], store: OutboxStore
) -> None:
    row_id = await _enqueue(sessions)
    message = await _claim_one(store, "instans-a", START)
    assert message.attempts == 1

    assert await store.defer(message, START + timedelta(seconds=30))
    row = await _row(store, row_id)
    assert (row.status, row.attempts, row.lease_until) == (OutboxStatus.PENDING.value, 0, None)
    assert row.due_at == START + timedelta(seconds=30)
    assert await store.claim("instans-a", START, LEASE, limit=10) == []
    assert not await store.defer(message, START)  # no longer held: nothing changes
