"""The capture queue's limits and turns (issue 24, point 9): captures per editor and per channel
a day (the policy's numbers), refused with a sentence; organisations take turns."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.organisation_file import load_organisations
from domain.organisations import OrganisationError
from domain.policy import DocumentationPolicy, Policy, PolicyError
from domain.policy_file import load_policy
from storage.captures import (
    CaptureLimits,
    CaptureRefusal,
    CaptureStore,
    queue_capture,
    request_capture,
)
from storage.models import CaptureRow, ChannelRow, PersonRow
from tests.bot.active_story import at
from tests.bot.active_story import sweep as _sweep
from tests.bot.ugglan_story import DUE, EDITOR_A, RECORDS, ugglan_story
from tests.capture.check import start_up_reason
from tests.conftest import START
from tests.support.capture_site import CaptureSite

LEASE = 60.0
LIMITS = CaptureLimits(per_person=2, per_channel=3)
DAY = START.replace(hour=0, minute=0, second=0, microsecond=0)


async def _channel(sessions: async_sessionmaker[AsyncSession], organisation: str = "") -> int:
    async with sessions.begin() as session:
        row = ChannelRow(
            tenant_id="t",
            status="active",
            platform="instagram",
            name="Ugglan",
            unit="Ugglan",
            purpose="-",
            plan={},
            login_reference="-",
            manager_source="directory",
            address="https://www.instagram.com/ugglan",
            created_at=START,
            updated_at=START,
        )
        if organisation:
            row.organisation = organisation
        session.add(row)
        await session.flush()
        return row.id


async def _person(sessions: async_sessionmaker[AsyncSession], n: int) -> int:
    async with sessions.begin() as session:
        row = PersonRow(
            aad_object_id=f"00000000-0000-0000-0000-00000000000{n}",
            tenant_id="t",
            name=f"Redaktör {n}",
            created_at=START,
            updated_at=START,
        )
        session.add(row)
        await session.flush()
        return row.id


async def _ask(
    sessions: async_sessionmaker[AsyncSession], channel: int, person: int, path: str, **when
) -> CaptureRefusal | None:
    now = when.get("now", START)
    async with sessions.begin() as session:
        return await queue_capture(
            session,
            channel_id=channel,
            round_due=date(2026, 3, 17),
            url=f"https://www.instagram.com/ugglan{path}",
            now=now,
            on=now.date(),
            day_started=when.get("day_started", DAY),
            limits=LIMITS,
            person_id=person,
        )


async def _rows(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return len((await session.scalars(select(CaptureRow.id))).all())


async def test_an_editor_gets_the_days_limit_of_captures_and_no_more(sessions):
    channel, other_channel = await _channel(sessions), await _channel(sessions)
    editor, colleague = await _person(sessions, 1), await _person(sessions, 2)
    assert await _ask(sessions, channel, editor, "/") is None
    assert await _ask(sessions, other_channel, editor, "/reels") is None
    # The editor's third of the day, on any channel, is refused; asking again costs nothing.
    assert await _ask(sessions, channel, editor, "/tagged") is CaptureRefusal.PERSON
    assert await _ask(sessions, channel, editor, "/") is None
    assert await _rows(sessions) == 2
    # Another editor has their own count; the next day the editor has theirs again.
    assert await _ask(sessions, channel, colleague, "/tagged") is None
    tomorrow = START + timedelta(days=1)
    later = {"now": tomorrow, "day_started": DAY + timedelta(days=1)}
    assert await _ask(sessions, channel, editor, "/tagged", **later) is None


async def test_a_channel_gets_the_days_limit_of_captures_and_no_more(sessions):
    channel, other_channel = await _channel(sessions), await _channel(sessions)
    people = [await _person(sessions, n) for n in range(1, 5)]
    async with sessions.begin() as session:  # the round's own capture counts for the channel
        await request_capture(
            session,
            channel_id=channel,
            round_due=date(2026, 3, 17),
            url="https://www.instagram.com/ugglan",
            now=START,
            on=START.date(),
            start_page=True,
        )
    assert await _ask(sessions, channel, people[0], "/a") is None
    assert await _ask(sessions, channel, people[1], "/b") is None
    assert await _ask(sessions, channel, people[2], "/c") is CaptureRefusal.CHANNEL
    assert await _ask(sessions, other_channel, people[2], "/c") is None
    assert await _rows(sessions) == 4


async def test_organisations_take_turns_in_the_queue(sessions):
    big = await _channel(sessions, "big")
    small = await _channel(sessions, "small")
    third = await _channel(sessions, "third")
    # The big organisation queued five captures before the others queued one each.
    queued = [(big, f"/{n}") for n in range(5)] + [(small, "/s"), (third, "/t")]
    for minute, (channel, path) in enumerate(queued):
        async with sessions.begin() as session:
            await request_capture(
                session,
                channel_id=channel,
                round_due=date(2026, 3, 17),
                url=f"https://www.instagram.com/ugglan{path}",
                now=START + timedelta(minutes=minute),
                on=START.date(),
            )
    store = CaptureStore(sessions)
    taken = []
    while (job := await store.claim("a", START + timedelta(hours=1), LEASE)) is not None:
        taken.append(job.url.removeprefix("https://www.instagram.com/ugglan"))
    # Round robin: one of each in turn, each organisation's own oldest first (not FIFO).
    assert taken == ["/0", "/s", "/t", "/1", "/2", "/3", "/4"]


def test_the_limits_are_in_the_policy_file(tmp_path: Path):
    assert DocumentationPolicy().max_captures_per_person_per_day == 20
    assert DocumentationPolicy().max_captures_per_channel_per_day == 30
    example = load_policy(Path(__file__).resolve().parents[2] / "policy.example.toml")
    assert example.documentation.max_captures_per_person_per_day == 20
    file = tmp_path / "policy.toml"
    file.write_text("[documentation]\nmax_captures_per_person_per_day = 5\n")
    assert load_policy(file).documentation.max_captures_per_person_per_day == 5
    file.write_text("[documentation]\nmax_captures_per_channel_per_day = 0\n")
    with pytest.raises(PolicyError, match="max_captures_per_channel_per_day"):
        load_policy(file)


async def test_an_editor_over_the_limit_is_told_in_a_sentence(
    start_bot, emulator, clock, smtp, tmp_path
):
    why = start_up_reason()
    if why is not None:
        pytest.skip(f"captures are off here: {why}")
    policy = Policy(
        documentation=DocumentationPolicy(
            records_mailbox=RECORDS, max_captures_per_person_per_day=2
        )
    )
    async with CaptureSite() as site:
        story = await ugglan_story(
            start_bot,
            emulator,
            clock,
            smtp,
            tmp_path,
            policy=policy,
            address=site.url("/"),
            capture_disabled=False,
            capture_allow_loopback_for_tests=True,
        )
        editor = EDITOR_A
        await _sweep(story, clock, at(DUE - timedelta(days=14)))
        await story.say(editor, "dokumentera")
        asked = 0
        async with story.bot.sessions() as session:
            asked = len(
                (
                    await session.scalars(
                        select(CaptureRow.id).where(CaptureRow.person_id.is_not(None))
                    )
                ).all()
            )
        for n in range(2 - asked):
            await story.say(editor, site.url(f"/sida-{n}"))
            assert "Jag tar en bild av" in story.emulator.texts(editor.conversation_id)[-1]
        await story.say(editor, site.url("/en-till"))
        told = story.emulator.texts(editor.conversation_id)[-1]
        assert "Du har redan bett mig ta 2 bilder i dag" in told
        assert "Skicka dina egna skärmdumpar" in told


def test_an_organisation_sets_the_limits_for_all_its_administrations(tmp_path: Path):
    example = Path(__file__).resolve().parents[2] / "organisations.example" / "goteborg.toml"
    text = example.read_text().replace(
        '[documentation]\nrecords_mailbox = "registrator@goteborg.example"\n',
        '[documentation]\nrecords_mailbox = "registrator@goteborg.example"\n'
        "max_captures_per_person_per_day = 7\n",
        1,
    )
    assert "max_captures_per_person_per_day = 7" in text
    (tmp_path / "goteborg.toml").write_text(text)
    [organisation] = list(load_organisations(tmp_path))
    limits = {
        a.policy.documentation.max_captures_per_person_per_day
        for a in organisation.administrations
    }
    assert organisation.policy.documentation.max_captures_per_person_per_day == 7
    assert limits == {7}
    # They pace one tenant's captures: the organisation's alone, not an administration's.
    sof = '[administrations.documentation]\nrecords_mailbox = "registrator.sof@goteborg.example"\n'
    assert sof in text
    (tmp_path / "goteborg.toml").write_text(
        text.replace(sof, sof + "max_captures_per_channel_per_day = 99\n")
    )
    with pytest.raises(OrganisationError, match="max_captures_per_channel_per_day"):
        load_organisations(tmp_path)
