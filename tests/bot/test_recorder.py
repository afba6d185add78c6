"""Conversation references stay fresh without a write on every turn."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from domain.clock import FixedClock
from storage.models import ConversationReferenceRow, PersonRow
from tests.conftest import START, BotFactory
from tests.support.connector_emulator import ConnectorEmulator
from tests.support.factories import make_message, make_user


async def _person(bot) -> PersonRow:  # type: ignore[no-untyped-def]
    async with bot.sessions() as session:
        return (await session.scalars(select(PersonRow))).one()


async def test_repeat_turns_refresh_the_reference_only_when_facts_change_or_it_is_old(
    start_bot: BotFactory, emulator: ConnectorEmulator, clock: FixedClock
):
    bot = await start_bot()
    user = make_user(1)
    url = emulator.service_url

    await bot.post(make_message("hej", user=user, service_url=url))
    clock.set(START + timedelta(minutes=1))
    await bot.post(make_message("hej", user=user, service_url=url))
    assert (await _person(bot)).updated_at == START  # unchanged facts: no write

    await bot.post(make_message("hej", user=user, service_url=url, locale="en-US"))
    assert (await _person(bot)).locale == "en-US"  # a changed fact is written at once

    clock.set(START + timedelta(minutes=30))
    await bot.post(make_message("hej", user=user, service_url=url, locale="en-US"))
    assert (await _person(bot)).updated_at == START + timedelta(minutes=30)  # refreshed

    moved = url.replace("127.0.0.1", "localhost")  # the same emulator under another name
    await bot.post(make_message("hej", user=user, service_url=moved, locale="en-US"))
    async with bot.sessions() as session:
        reference = (await session.scalars(select(ConversationReferenceRow))).one()
    assert reference.service_url == moved  # a new service URL is stored at once
