"""Replies inside a turn honour 429 and 5xx like the outbox does, without holding Teams' POST.

A reply that gets 429 is sent again after its Retry-After; one the connector keeps refusing
past the turn's budget goes through the outbox and arrives once the connector recovers.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.teams.adapter import TURN_BUDGET_SECONDS
from domain.outbox import OutboxKind
from storage.models import OutboxRow
from tests.conftest import BotFactory
from tests.support.connector_emulator import ConnectorEmulator
from tests.support.factories import make_message, make_user


@pytest.fixture
def bot_database_url(database_url: str) -> str:
    return database_url


async def test_a_reply_that_gets_429_is_sent_after_retry_after(
    start_bot: BotFactory, emulator: ConnectorEmulator
) -> None:
    bot = await start_bot()
    user = make_user(1)
    emulator.fail_next(429, retry_after=1, operation="reply")

    started = time.monotonic()
    status, _ = await bot.post(make_message("hjälp", user=user, service_url=emulator.service_url))
    took = time.monotonic() - started

    assert status == 200
    answered = [r for r in emulator.requests if r.operation in ("send", "reply")]
    assert [r.status for r in answered] == [429, 201]
    assert answered[1].at - answered[0].at >= 1.0  # Retry-After honoured
    assert took < TURN_BUDGET_SECONDS + 2
    assert len(emulator.cards(user.conversation_id)) == 1  # the help card, once


async def test_a_reply_refused_past_the_turns_budget_goes_through_the_outbox(
    start_bot: BotFactory, emulator: ConnectorEmulator
) -> None:
    bot = await start_bot()
    user = make_user(1)
    fault = emulator.fail_next(503, times=1000, retry_after=5, operation="reply")

    started = time.monotonic()
    status, _ = await bot.post(make_message("hjälp", user=user, service_url=emulator.service_url))

    assert status == 200
    assert time.monotonic() - started < TURN_BUDGET_SECONDS + 2  # Teams is answered in time
    async with bot.sessions() as session:
        [row] = (await session.scalars(select(OutboxRow))).all()
    assert row.kind == OutboxKind.TEAMS_MESSAGE.value
    assert row.conversation_id == user.conversation_id

    fault.remaining = 0  # the connector recovers
    bot.clock.set(bot.clock.now() + timedelta(seconds=60))
    await bot.deliver()
    await emulator.wait_for(lambda e: len(e.cards(user.conversation_id)) == 1)
    assert len(emulator.cards(user.conversation_id)) == 1
