"""Outcomes that say enough (issue 26), through the real app: the consent check names the
guardian for a child with no consent at all (R9), and every outcome of `radera` names the
records management plan and rule R11."""

from __future__ import annotations

from typing import Any

import pytest

from domain.clock import FixedClock
from domain.policy import ConsentPolicy, Policy
from tests.bot.active_story import EDITOR_A, active_story, card_of, channel_id, execute
from tests.bot.channel_story import Story
from tests.conftest import BotFactory
from tests.support.connector_emulator import ConnectorEmulator
from tests.support.smtp_sink import SmtpSink


@pytest.fixture
def bot_database_url(database_url: str) -> str:
    """These stories run on SQLite and on PostgreSQL."""
    return database_url


@pytest.fixture
async def story(
    start_bot: BotFactory, emulator: ConnectorEmulator, clock: FixedClock, smtp: SmtpSink, tmp_path
) -> Story:  # type: ignore[no-untyped-def]
    policy = Policy(consent=ConsentPolicy(guardian_age=16))
    return await active_story(start_bot, emulator, clock, smtp, tmp_path, policy)


def _person(channel: int, *, minor: bool) -> dict[str, Any]:
    """The consent form's answers for one identifiable person with no consent at all."""
    return {
        "rows": 1,
        "channel_id": str(channel),
        "identifiable": "yes",
        "use": "one_post",
        "people": "1",
        "p0_name": "Elev Alva, 12 år, klass 6B",
        "p0_minor": "true" if minor else "",
        "p0_guardian": "",
        "p0_form": "none",
        "p0_filed": "",
    }


async def test_r9_a_child_with_no_consent_is_told_the_guardian_must_give_it(story: Story):
    await story.say(EDITOR_A, "samtycke")
    channel = await channel_id(story)

    child = str(
        card_of(await execute(story, EDITOR_A, "consent.check", _person(channel, minor=True)))
    )
    adult = str(
        card_of(await execute(story, EDITOR_A, "consent.check", _person(channel, minor=False)))
    )

    assert "Stopp" in child and "Elev Alva, 12 år, klass 6B: inget samtycke" in child
    # R9: the guardian gives the consent, under the policy's age (16 here, not the default 15).
    assert "under 16 år, så det är vårdnadshavaren som ska ge samtycket (regel R9)" in child
    assert "Stopp" in adult and "vårdnadshavare" not in adult.casefold()


def _deletion(channel: int, kind: str, covered: str, passing: str = "") -> dict[str, Any]:
    return {
        "channel_id": str(channel),
        "kind": kind,
        "description": "https://www.instagram.com/p/Sommarlov/",
        "covered": covered,
        "passing": passing,
    }


@pytest.mark.parametrize(
    ("kind", "covered", "passing", "says"),
    [
        ("post", "no", "", "Spara först en skärmdump"),  # capture first
        ("post", "yes", "", "Du kan radera det"),  # delete
        ("comment", "no", "yes", "Du kan radera det"),  # delete (passing)
    ],
    ids=["capture_first", "delete_covered", "delete_passing"],
)
async def test_r11_every_deletion_outcome_names_the_records_plan_and_the_rule(
    story: Story, kind: str, covered: str, passing: str, says: str
):
    await story.say(EDITOR_A, "radera")
    channel = await channel_id(story)

    outcome = str(
        card_of(
            await execute(
                story, EDITOR_A, "deletion.check", _deletion(channel, kind, covered, passing)
            )
        )
    )

    assert says in outcome
    assert "dokumenthanteringsplanen" in outcome and "regel R11" in outcome
