"""Outbox delivery through the running app: proactive messages reach Teams exactly once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.app import DELIVERY
from domain.clock import FixedClock
from domain.outbox import OutboxKind, OutboxStatus
from domain.policy import DeliveryPolicy, Policy
from storage.audit import events_for
from storage.models import ConversationReferenceRow, OutboxRow, PersonRow
from storage.outbox import enqueue
from tests.conftest import START, BotFactory, RunningBot
from tests.support.connector_emulator import ConnectorEmulator
from tests.support.factories import TENANT_ID, make_message, make_user

OTHER_TENANT = "7e57c0de-0000-4000-8000-00000000000b"
FAST = Policy(delivery=DeliveryPolicy(backoff_base_seconds=1.0, max_attempts=3))


@pytest.fixture
def bot_database_url(database_url: str) -> str:
    """This module runs on SQLite and on PostgreSQL."""
    return database_url


def _text(text: str) -> dict[str, object]:
    return {"activity": {"type": "message", "text": text}}


async def _queue(bot: RunningBot, person_id: int, text: str, **kwargs: object) -> int:
    async with bot.sessions.begin() as session:
        row = enqueue(
            session,
            kind=OutboxKind.TEAMS_MESSAGE,
            payload=_text(text),
            now=bot.clock.now(),
            recipient_person_id=person_id,
            **kwargs,
        )
        await session.flush()
        row_id = row.id
    bot.app[DELIVERY].wake()
    return row_id


async def _person_id(bot: RunningBot, aad_object_id: str) -> int:
    async with bot.sessions() as session:
        person_id = await session.scalar(
            select(PersonRow.id).where(PersonRow.aad_object_id == aad_object_id)
        )
    assert person_id is not None
    return person_id


async def _row(bot: RunningBot, row_id: int) -> OutboxRow:
    async with bot.sessions() as session:
        row = await session.get(OutboxRow, row_id)
    assert row is not None
    return row


async def _met(bot: RunningBot, emulator: ConnectorEmulator, index: int) -> int:
    """A user writes to the bot once, so their conversation reference is stored."""
    user = make_user(index)
    before = len(emulator.sent)
    await bot.post(make_message("hej", user=user, service_url=emulator.service_url))
    await emulator.wait_for_count(before + 1)
    emulator.reset()
    return await _person_id(bot, user.aad_object_id)


async def test_a_queued_message_is_delivered_within_seconds_without_polling(
    start_bot: BotFactory, emulator: ConnectorEmulator
):
    bot = await start_bot()
    person_id = await _met(bot, emulator, 1)

    row_id = await _queue(bot, person_id, "Påminnelse")

    await emulator.wait_for_count(1, operation="send", timeout=2.0)
    assert emulator.texts(make_user(1).conversation_id) == ["Påminnelse"]
    await _wait_status(bot, row_id, OutboxStatus.SENT)


async def test_a_person_who_never_wrote_gets_a_new_one_to_one_chat(
    start_bot: BotFactory, emulator: ConnectorEmulator
):
    bot = await start_bot()
    await _met(bot, emulator, 1)  # someone in the tenant: the service URL is known
    stranger = make_user(2)
    async with bot.sessions.begin() as session:
        person = PersonRow(
            tenant_id=stranger.tenant_id,
            aad_object_id=stranger.aad_object_id,
            name=stranger.name,
            created_at=START,
            updated_at=START,
        )
        session.add(person)
        await session.flush()
        person_id = person.id

    row_id = await _queue(bot, person_id, "Du är nominerad som redaktör")

    [created] = await emulator.wait_for_count(1, operation="create")
    assert created.body["members"][0]["id"] == stranger.aad_object_id
    await emulator.wait_for(lambda e: "Du är nominerad som redaktör" in e.texts())
    await _wait_status(bot, row_id, OutboxStatus.SENT)
    async with bot.sessions() as session:
        reference = await session.scalar(
            select(ConversationReferenceRow).where(ConversationReferenceRow.person_id == person_id)
        )
    assert reference is not None  # later messages continue this chat
    assert reference.conversation_id == created.response["id"]


async def test_429_is_retried_after_retry_after(
    start_bot: BotFactory, emulator: ConnectorEmulator, clock: FixedClock
):
    bot = await start_bot(policy=Policy(delivery=DeliveryPolicy(backoff_base_seconds=10.0)))
    person_id = await _met(bot, emulator, 1)
    emulator.fail_next(429, retry_after=1, operation="send")

    row_id = await _queue(bot, person_id, "Hej igen")
    await emulator.wait_for(lambda e: len(e.rejected) == 1)
    row = await _wait_status(bot, row_id, OutboxStatus.PENDING)
    assert row.due_at == START + timedelta(seconds=1)  # Retry-After, not the 10 s backoff
    assert emulator.sent == []

    clock.set(START + timedelta(seconds=2))
    bot.app[DELIVERY].wake()  # the pacer still holds the tenant back one real second
    await emulator.wait_for_count(1, operation="send")
    row = await _wait_status(bot, row_id, OutboxStatus.SENT)
    assert row.attempts == 2


async def test_5xx_backs_off_then_dead_letters_after_the_policy_attempts(
    start_bot: BotFactory, emulator: ConnectorEmulator, clock: FixedClock
):
    bot = await start_bot(policy=FAST)
    person_id = await _met(bot, emulator, 1)
    emulator.fail_next(503, times=10, operation="send")

    row_id = await _queue(bot, person_id, "Hej")
    row = await _wait_attempts(bot, row_id, 1)
    assert row.status == OutboxStatus.PENDING
    assert row.due_at == START + timedelta(seconds=1)
    clock.set(START + timedelta(seconds=2))
    bot.app[DELIVERY].wake()
    row = await _wait_attempts(bot, row_id, 2)
    assert row.due_at == START + timedelta(seconds=2 + 2)
    clock.set(START + timedelta(seconds=10))
    bot.app[DELIVERY].wake()
    row = await _wait_status(bot, row_id, OutboxStatus.DEAD)
    assert row.attempts == 3
    assert emulator.sent == []


async def test_403_marks_the_person_undeliverable(
    start_bot: BotFactory, emulator: ConnectorEmulator
):
    bot = await start_bot()
    person_id = await _met(bot, emulator, 1)
    emulator.block_conversation(make_user(1).conversation_id)

    row_id = await _queue(bot, person_id, "Hej")

    await _wait_status(bot, row_id, OutboxStatus.UNDELIVERABLE)
    async with bot.sessions() as session:
        person = await session.get(PersonRow, person_id)
        events = await events_for(session, "person", person_id)
    assert person is not None and person.undeliverable_at is not None
    # No e-mail address is known for this person: the log says nobody could reach them.
    assert [e.action for e in events] == ["person.undeliverable", "person.unreached"]


async def test_a_row_left_by_a_crashed_instance_is_sent_after_its_lease(
    start_bot: BotFactory, emulator: ConnectorEmulator, clock: FixedClock
):
    bot = await start_bot()
    person_id = await _met(bot, emulator, 1)
    async with bot.sessions.begin() as session:
        row = enqueue(
            session,
            kind=OutboxKind.TEAMS_MESSAGE,
            payload=_text("Efter krasch"),
            now=START,
            recipient_person_id=person_id,
        )
        row.status = OutboxStatus.SENDING.value
        row.claimed_by = "crashed-instance"
        row.attempts = 1
        row.lease_until = START + timedelta(seconds=60)
        await session.flush()
        row_id = row.id

    bot.app[DELIVERY].wake()
    await _wait_status(bot, row_id, OutboxStatus.SENDING)
    assert emulator.sent == []  # the lease still holds
    clock.set(START + timedelta(seconds=61))
    bot.app[DELIVERY].wake()

    row = await _wait_status(bot, row_id, OutboxStatus.SENT)
    assert row.claimed_by != "crashed-instance"
    assert emulator.texts() == ["Efter krasch"]


async def test_a_card_update_replaces_the_posted_card(
    start_bot: BotFactory, emulator: ConnectorEmulator
):
    bot = await start_bot()
    person_id = await _met(bot, emulator, 1)
    user = make_user(1)
    emulator.seed_activity(user.conversation_id, "1700000000009", {"type": "message"})
    async with bot.sessions.begin() as session:
        enqueue(
            session,
            kind=OutboxKind.TEAMS_UPDATE,
            payload={
                "activity_id": "1700000000009",
                "activity": {"type": "message", "text": "Klart"},
            },
            now=START,
            recipient_person_id=person_id,
            conversation_id=user.conversation_id,
        )
    bot.app[DELIVERY].wake()

    await emulator.wait_for_count(1, operation="update")
    current = emulator.current(user.conversation_id, "1700000000009")
    assert current is not None and current["text"] == "Klart"


async def test_one_tenants_429s_never_hold_back_another_tenants_messages(
    start_bot: BotFactory, emulator: ConnectorEmulator
):
    """Each tenant has its own lane: a tenant Teams throttles for 30 s waits, its claimed rows
    stay in the outbox untried, and another tenant's messages, also those queued meanwhile,
    are delivered at once."""
    bot = await start_bot()
    first = await _met(bot, emulator, 1)
    second = await _met(bot, emulator, 2)
    other = make_user(3, tenant_id=OTHER_TENANT)
    await bot.post(make_message("hej", user=other, service_url=emulator.service_url))
    await emulator.wait_for_count(1)
    emulator.reset()
    other_id = await _person_id(bot, other.aad_object_id)
    emulator.fail_next(
        429, retry_after=30, operation="send", conversation_id=make_user(1).conversation_id
    )

    mine, theirs = {"tenant_id": TENANT_ID}, {"tenant_id": OTHER_TENANT}
    throttled = await _queue(bot, first, "Till Ett", **mine)
    await emulator.wait_for(lambda e: len(e.rejected) == 1)
    held = await _queue(bot, second, "Till Två", **mine)
    passing = await _queue(bot, other_id, "Till Tre", **theirs)

    await _wait_status(bot, passing, OutboxStatus.SENT)
    # Left in the outbox, untried, while its tenant's pause lasts (not waiting on a lease).
    await _wait(bot, held, lambda r: r.status == "pending" and r.attempts == 0)
    later = await _queue(bot, other_id, "Till Tre igen", **theirs)  # while the first tenant waits
    await _wait_status(bot, later, OutboxStatus.SENT)
    assert emulator.texts(other.conversation_id) == ["Till Tre", "Till Tre igen"]
    assert emulator.texts(make_user(2).conversation_id) == []  # never tried in the pause
    assert (await _row(bot, throttled)).status == "pending"


async def _wait_status(bot: RunningBot, row_id: int, status: OutboxStatus) -> OutboxRow:
    return await _wait(bot, row_id, lambda row: row.status == status.value)


async def _wait_attempts(bot: RunningBot, row_id: int, attempts: int) -> OutboxRow:
    return await _wait(
        bot, row_id, lambda row: row.attempts >= attempts and row.status != "sending"
    )


async def _wait(bot: RunningBot, row_id: int, done: object) -> OutboxRow:
    import asyncio

    for _ in range(200):
        row = await _row(bot, row_id)
        if done(row):  # type: ignore[operator]
            return row
        await asyncio.sleep(0.02)
    raise AssertionError(f"outbox row {row_id} stayed {row.status} ({row.attempts} attempts)")


def _nulls(value: object, path: str = "") -> list[str]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _nulls(v, f"{path}.{k}")] + [
            f"{path}.{k}" for k, v in value.items() if v is None
        ]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _nulls(v, f"{path}[{i}]")]
    return []


async def test_a_proactive_message_carries_no_null_fields(
    start_bot: BotFactory, emulator: ConnectorEmulator
):
    """The SDK's send_to_conversation kept "id": null; the Agents Playground answers that with
    400 and the card went to the dead letters. Absent fields are left out instead."""
    bot = await start_bot()
    person_id = await _met(bot, emulator, 1)

    row_id = await _queue(bot, person_id, "Hej")

    await _wait_status(bot, row_id, OutboxStatus.SENT)
    [sent] = emulator.sent
    assert sent.body is not None and sent.body["text"] == "Hej"
    assert _nulls(sent.body) == []
