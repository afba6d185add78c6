"""Through the real create_app on loopback, with the connector emulator receiving replies."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.support.connector_emulator import ConnectorEmulator
from tests.support.factories import make_install, make_message, make_user


async def test_help_in_swedish_by_default(start_bot: BotFactory, emulator: ConnectorEmulator):
    bot = await start_bot()
    user = make_user(1)

    status, _ = await bot.post(make_message("hjälp", user=user, service_url=emulator.service_url))

    assert status == 200
    await emulator.wait_for_count(1)
    [card] = emulator.cards(user.conversation_id)
    assert card["body"][0]["text"] == "Det här kan Kanalkollen"


async def test_help_in_english_from_the_locale(start_bot: BotFactory, emulator: ConnectorEmulator):
    bot = await start_bot()
    user = make_user(1)

    await bot.post(
        make_message("help", user=user, service_url=emulator.service_url, locale="en-US")
    )

    await emulator.wait_for_count(1)
    [card] = emulator.cards(user.conversation_id)
    assert card["body"][0]["text"] == "What Kanalkollen does"


async def test_unknown_text_gets_a_hint(start_bot: BotFactory, emulator: ConnectorEmulator):
    bot = await start_bot()
    user = make_user(1)

    await bot.post(make_message("vad är klockan", user=user, service_url=emulator.service_url))

    await emulator.wait_for_count(1)
    assert emulator.texts(user.conversation_id) == [
        "Jag förstod inte riktigt. Skriv **hjälp** för att se vad jag kan."
    ]


async def test_install_welcomes_once(start_bot: BotFactory, emulator: ConnectorEmulator):
    bot = await start_bot()
    user = make_user(2)

    status, _ = await bot.post(make_install(user, emulator.service_url))
    assert status == 200
    await bot.post(make_install(user, emulator.service_url))

    await emulator.wait_for_count(1)
    [card] = emulator.cards(user.conversation_id)
    assert card["body"][0]["text"] == "Hej! Jag är Kanalkollen."
    assert len(emulator.sent) == 1


async def test_simultaneous_install_activities_welcome_once(
    start_bot: BotFactory, emulator: ConnectorEmulator
):
    # Teams sends installationUpdate and conversationUpdate at the same moment on install.
    import asyncio

    from tests.support.factories import make_members_added

    bot = await start_bot()
    user = make_user(3)

    results = await asyncio.gather(
        bot.post(make_install(user, emulator.service_url)),
        bot.post(make_members_added(user, emulator.service_url)),
    )

    assert [status for status, _ in results] == [200, 200]
    await emulator.wait_for_count(1)
    # Both turns have run (their replies go out during the turn); a reply Teams refused would
    # be in the outbox: deliver it now, so that a second welcome could not be missed.
    await bot.deliver()
    assert len(emulator.sent) == 1
