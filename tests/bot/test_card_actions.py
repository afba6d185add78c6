"""Card actions through HTTP: Action.Execute invokes and the Action.Submit fallback."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.support.connector_emulator import ConnectorEmulator
from tests.support.factories import make_execute, make_message, make_submit, make_user

CARD = "application/vnd.microsoft.card.adaptive"
MESSAGE = "application/vnd.microsoft.activity.message"


async def test_execute_returns_the_card_in_the_invoke_response(
    start_bot: BotFactory, emulator: ConnectorEmulator
):
    # CloudAdapter.process in 4.17.1 answers 500 here; our endpoint must answer 200 + body.
    bot = await start_bot()

    status, body = await bot.post(
        make_execute(
            "help.show",
            {"verb": "help.show"},
            user=make_user(1),
            service_url=emulator.service_url,
            reply_to_id="1700000000001",
        )
    )

    assert status == 200
    assert body["statusCode"] == 200
    assert body["type"] == CARD
    assert body["value"]["body"][0]["text"] == "Det här kan Kanalkollen"


async def test_execute_answers_in_english_for_an_english_client(
    start_bot: BotFactory, emulator: ConnectorEmulator
):
    bot = await start_bot()

    _, body = await bot.post(
        make_execute(
            "help.show", {}, user=make_user(1), service_url=emulator.service_url, locale="en-GB"
        )
    )

    assert body["value"]["body"][0]["text"] == "What Kanalkollen does"


async def test_unknown_verb_gets_a_polite_message(
    start_bot: BotFactory, emulator: ConnectorEmulator
):
    bot = await start_bot()

    status, body = await bot.post(
        make_execute(
            "channel.explode",
            {"channel_id": 1},
            user=make_user(1),
            service_url=emulator.service_url,
        )
    )

    assert status == 200
    assert body["type"] == MESSAGE
    assert body["value"].startswith("Den här knappen känner jag inte igen.")


async def test_execute_without_action_is_400(start_bot: BotFactory, emulator: ConnectorEmulator):
    bot = await start_bot()
    activity = make_execute("help.show", {}, user=make_user(1), service_url=emulator.service_url)
    activity["value"] = {"trigger": "manual"}

    status, _ = await bot.post(activity)

    assert status == 400


async def test_submit_fallback_replaces_the_clicked_card(
    start_bot: BotFactory, emulator: ConnectorEmulator
):
    bot = await start_bot()
    user = make_user(1)
    emulator.seed_activity(user.conversation_id, "1700000000002", {"type": "message"})

    status, _ = await bot.post(
        make_submit(
            {"verb": "help.show"},
            user=user,
            service_url=emulator.service_url,
            reply_to_id="1700000000002",
        )
    )

    assert status == 200
    await emulator.wait_for_count(1, operation="update")
    current = emulator.current(user.conversation_id, "1700000000002")
    assert current is not None
    assert current["attachments"][0]["content"]["body"][0]["text"] == "Det här kan Kanalkollen"


async def test_submit_of_an_unknown_verb_answers_with_a_message(
    start_bot: BotFactory, emulator: ConnectorEmulator
):
    bot = await start_bot()
    user = make_user(1)

    await bot.post(make_submit({"verb": "nope"}, user=user, service_url=emulator.service_url))

    await emulator.wait_for_count(1)
    assert emulator.texts(user.conversation_id)[0].startswith("Den här knappen")


async def test_execute_of_another_action_type_is_400_with_teams_error_body(
    start_bot: BotFactory, emulator: ConnectorEmulator
):
    bot = await start_bot()
    activity = make_execute("help.show", {}, user=make_user(1), service_url=emulator.service_url)
    activity["value"]["action"]["type"] = "Action.OpenUrl"

    status, body = await bot.post(activity)

    assert status == 400
    assert body["type"] == "application/vnd.microsoft.error"
    assert body["value"]["code"] == "NotSupported"


async def test_submit_on_a_card_teams_cannot_update_sends_the_card_anew(
    start_bot: BotFactory, emulator: ConnectorEmulator
):
    bot = await start_bot()
    user = make_user(1)

    await bot.post(
        make_submit(
            {"verb": "help.show"},
            user=user,
            service_url=emulator.service_url,
            reply_to_id="1700000000404",
        )
    )

    await emulator.wait_for_count(1)
    [card] = emulator.cards(user.conversation_id)
    assert card["body"][0]["text"] == "Det här kan Kanalkollen"
    assert not any("Något gick fel" in t for t in emulator.texts())


async def test_the_welcome_cards_new_channel_button_opens_the_form(
    start_bot: BotFactory, emulator: ConnectorEmulator
):
    bot = await start_bot()
    user = make_user(1)
    await bot.post(make_message("hej", user=user, service_url=emulator.service_url))

    status, body = await bot.post(
        make_execute("channel.new", {}, user=user, service_url=emulator.service_url)
    )

    assert status == 200
    assert body["value"]["body"][0]["text"] == "Ny kanal i sociala medier"
