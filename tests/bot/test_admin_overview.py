"""`register`: the communications department's overview (R3 editors, R12 overdue)."""

from __future__ import annotations

from bot.cli.channel_import import import_channels
from domain.channel_import import parse_channels
from domain.policy import Policy
from tests.bot.channel_story import Story
from tests.conftest import START, BotFactory
from tests.support.connector_emulator import ConnectorEmulator
from tests.support.directory import SWEDISH_HEADER as HEADER
from tests.support.directory import StubDirectory
from tests.support.factories import TENANT_ID, make_user

CHANNELS = (
    HEADER
    # documented long ago: overdue; two editors
    + "\nInstagram;Åsen;https://www.instagram.com/asen;Fritid Norr;chef@stad.example;"
    "a@stad.example, b@stad.example;2024-01-10;2024-07-10"
    # one editor only: under-staffed (R3); recently started
     + "\nFacebook;Ugglan;https://www.facebook.com/ugglan;Fritid Syd;chef@stad.example;"
    "c@stad.example;2026-02-01;\n"
)


async def test_admins_see_counts_overdue_and_understaffed_channels(
    start_bot: BotFactory, emulator: ConnectorEmulator
):
    admin = make_user(8)
    bot = await start_bot(policy=Policy(admins=(admin.aad_object_id,)))
    rows, errors = parse_channels(CHANNELS, today=START.date())
    assert errors == []
    await import_channels(
        bot.sessions, Policy(), StubDirectory(), TENANT_ID, rows, START, dry_run=False
    )
    story = Story(bot, emulator)

    await story.say(admin, "register")

    _, card = story.last_card_to(admin.conversation_id)
    text = str(card)
    assert "Aktiv" in text and "'2'" in text  # two active channels
    overdue, understaffed = text.split("För få redaktörer")
    assert "Åsen" in overdue and "Ugglan" not in overdue.split("Försenad")[1]
    assert "Ugglan" in understaffed and "1 av 2 redaktörer" in understaffed
    assert card["actions"][0]["url"].endswith("/registry.csv")


async def test_others_are_told_it_is_for_admins(
    start_bot: BotFactory, emulator: ConnectorEmulator
):
    story = Story(await start_bot(), emulator)

    await story.say(story.requester, "register")

    assert "administratörer" in emulator.texts(story.requester.conversation_id)[-1]
