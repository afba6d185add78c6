"""The language the bot answers in: the person's choice, the policy's default, the client's.

The Agents Playground (and some Teams clients) always send en-US; a Swedish organisation sets
`language.default = "sv"`, and anyone can switch with "svenska" / "english", remembered.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.settings import Settings
from domain.policy import LanguagePolicy, Policy, PolicyError
from domain.policy_file import parse_policy
from storage.models import PersonRow
from tests.conftest import BotFactory
from tests.support.connector_emulator import ConnectorEmulator
from tests.support.factories import make_message, make_user

SWEDISH_UNKNOWN = "Jag förstod inte riktigt."
ENGLISH_UNKNOWN = "I did not quite understand"


async def _say(bot, emulator: ConnectorEmulator, text: str, locale: str, index: int = 1) -> str:  # type: ignore[no-untyped-def]
    user = make_user(index)
    before = len(emulator.sent)
    status, _ = await bot.post(
        make_message(text, user=user, service_url=emulator.service_url, locale=locale)
    )
    assert status == 200
    await emulator.wait_for_count(before + 1)
    return emulator.texts(user.conversation_id)[-1]


async def test_the_client_locale_decides_without_a_policy_default(
    start_bot: BotFactory, emulator: ConnectorEmulator
) -> None:
    bot = await start_bot()
    assert (await _say(bot, emulator, "blabla", "en-US")).startswith(ENGLISH_UNKNOWN)
    assert (await _say(bot, emulator, "blabla", "sv-SE", 2)).startswith(SWEDISH_UNKNOWN)


async def test_the_policy_default_wins_over_an_en_us_client(
    start_bot: BotFactory, emulator: ConnectorEmulator
) -> None:
    bot = await start_bot(policy=Policy(language=LanguagePolicy(default="sv")))

    assert (await _say(bot, emulator, "blabla", "en-US")).startswith(SWEDISH_UNKNOWN)
    async with bot.sessions() as session:
        person = await session.scalar(select(PersonRow))
    assert person is not None and person.locale == "sv-SE"  # proactive messages too


async def test_a_person_switches_language_and_it_is_remembered(
    start_bot: BotFactory, emulator: ConnectorEmulator
) -> None:
    bot = await start_bot(policy=Policy(language=LanguagePolicy(default="sv")))

    assert "English" in await _say(bot, emulator, "english", "sv-SE")
    assert (await _say(bot, emulator, "blabla", "sv-SE")).startswith(ENGLISH_UNKNOWN)
    async with bot.sessions() as session:
        person = await session.scalar(select(PersonRow))
    assert person is not None and (person.language, person.locale) == ("en", "en-US")

    # Another process (a restart) remembers it too.
    again = await start_bot(policy=Policy(language=LanguagePolicy(default="sv")))
    assert (await _say(again, emulator, "blabla", "sv-SE")).startswith(ENGLISH_UNKNOWN)

    assert "svenska" in await _say(again, emulator, "På svenska", "en-US")
    assert (await _say(again, emulator, "blabla", "en-US")).startswith(SWEDISH_UNKNOWN)


def test_a_default_language_other_than_sv_or_en_stops_start_up() -> None:
    with pytest.raises(PolicyError, match=r"language\.default"):
        parse_policy('[language]\ndefault = "fi"\n')
    assert parse_policy('[language]\ndefault = "en"\n').language.default == "en"


async def test_each_organisation_answers_in_its_own_default_language(
    start_bot: BotFactory, emulator: ConnectorEmulator, tmp_path: Path
) -> None:
    """Issue 15: `language.default` is the organisation's: the city answers an en-US client
    in Swedish, the region (no default) in the client's English."""
    from tests.bot.test_organisations_story import CITY, OTHER_TENANT, REGION, organisation_folder

    folder = organisation_folder(
        tmp_path, stad=CITY + '\n[language]\ndefault = "sv"\n', region=REGION
    )
    bot = await start_bot(Settings(organisations_path=folder, files_dir=tmp_path / "files"))

    assert (await _say(bot, emulator, "blabla", "en-US")).startswith(SWEDISH_UNKNOWN)
    neighbour = make_user(2, tenant_id=OTHER_TENANT)
    before = len(emulator.sent)
    await bot.post(
        make_message("blabla", user=neighbour, service_url=emulator.service_url, locale="en-US")
    )
    await emulator.wait_for_count(before + 1)
    assert emulator.texts(neighbour.conversation_id)[-1].startswith(ENGLISH_UNKNOWN)
