"""Withdrawal of consent through the real app (R9, R11): every post that relied on it becomes a
removal task for every editor, done only after a capture of the post is kept."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from domain.clock import FixedClock
from storage.consents import open_removal_tasks
from storage.models import (
    AuditEventRow,
    ConsentCheckConsentRow,
    ConsentCheckRow,
    ConsentRow,
    EvidenceFileRow,
    RemovalTaskRow,
)
from tests.bot.active_story import (
    EDITOR_A,
    EDITOR_B,
    OUTSIDER,
    active_story,
    card_of,
    cards_to,
    channel_id,
    execute,
    png,
    refused,
    send_file,
    settled,
    sweep,
)
from tests.bot.channel_story import Story
from tests.conftest import BotFactory
from tests.support.connector_emulator import ConnectorEmulator
from tests.support.file_server import FileServer
from tests.support.smtp_sink import SmtpSink

POSTS = ("https://www.instagram.com/p/Forsta/", "https://www.instagram.com/p/Andra/")


@pytest.fixture
def bot_database_url(database_url: str) -> str:
    """These stories run on SQLite and on PostgreSQL."""
    return database_url


@pytest.fixture
async def story(
    start_bot: BotFactory, emulator: ConnectorEmulator, clock: FixedClock, smtp: SmtpSink, tmp_path
) -> Story:  # type: ignore[no-untyped-def]
    return await active_story(start_bot, emulator, clock, smtp, tmp_path)


async def published_twice(story: Story) -> int:
    """Editor A checks a written consent and publishes it in two posts; returns its id."""
    channel = await channel_id(story)
    first = card_of(
        await execute(
            story,
            EDITOR_A,
            "consent.check",
            {
                "rows": 1,
                "channel_id": str(channel),
                "identifiable": "yes",
                "use": "several_contexts",
                "people": "1",
                "p0_name": "Elev 7B:3",
                "p0_minor": "true",
                "p0_guardian": "Vårdnadshavare A",
                "p0_form": "written",
                "p0_filed": "Pärm samtycken 2026",
            },
        )
    )
    async with story.bot.sessions() as session:
        consent_id = (await session.scalars(select(ConsentRow.id))).one()
    second = card_of(
        await execute(
            story,
            EDITOR_A,
            "consent.check",
            {
                "rows": 1,
                "channel_id": str(channel),
                "identifiable": "yes",
                "use": "several_contexts",
                "people": "1",
                "reuse": str(consent_id),
            },
        )
    )
    for outcome, address in zip((first, second), POSTS, strict=True):
        data = outcome["actions"][0]["data"]
        await execute(story, EDITOR_A, "consent.post", {**data, "post_address": address})
    return consent_id


def removal_cards(story: Story, user: Any) -> list[tuple[str, dict[str, Any]]]:
    return [(i, c) for i, c in cards_to(story, user) if "Ta bort ett inlägg" in str(c)]


async def test_r9_r11_withdrawal_gives_every_editor_a_task_done_only_after_a_capture(
    story: Story, files: FileServer, clock: FixedClock
):
    consent_id = await published_twice(story)

    await story.say(EDITOR_B, "återkalla samtycke")
    _, form = story.last_card_to(EDITOR_B.conversation_id)
    assert "Elev 7B:3" in str(form) and "2 inlägg" in str(form)  # the posts it reaches
    done = card_of(
        await execute(
            story, EDITOR_B, "consent.withdraw", {"consent_id": str(consent_id), "note": "Mejl"}
        )
    )
    assert "är återkallat. 2 inlägg" in str(done)
    await settled(story, clock.now())

    # Both posts reach both editors as tasks.
    for user in (EDITOR_A, EDITOR_B):
        tasks = removal_cards(story, user)
        assert sorted(POSTS) == sorted(
            next(a for a in POSTS if a in str(card)) for _, card in tasks
        )
    first_a = next((i, c) for i, c in removal_cards(story, EDITOR_A) if POSTS[0] in str(c))
    first_b = next((i, c) for i, c in removal_cards(story, EDITOR_B) if POSTS[0] in str(c))
    task = first_a[1]["actions"][0]["data"]

    # Removing before the capture is refused and changes nothing (R11).
    refused = card_of(await execute(story, EDITOR_A, "removal.done", task, reply_to_id=first_a[0]))
    assert "Spara först en skärmdump" in str(refused)

    # The capture, sent in the chat, is kept with its checksum.
    status, body = await story.bot.post(
        _execute_raw(story, EDITOR_A, "removal.capture", task, first_a[0])
    )
    assert status == 200 and "väntar på skärmdumpen" in body["value"]
    await send_file(story, EDITOR_A, files, "inlagg.png", png(5), "png")
    assert "Skärmdumpen är sparad" in story.emulator.texts(EDITOR_A.conversation_id)[-1]
    await settled(story, clock.now())
    shown_b = story.emulator.current(EDITOR_B.conversation_id, first_b[0])
    assert shown_b is not None and "Skärmdump sparad: inlagg.png" in str(shown_b)

    # Editor B confirms the removal; editor A's copy says who did it.
    removed = card_of(await execute(story, EDITOR_B, "removal.done", task, reply_to_id=first_b[0]))
    assert "Borttaget av Testperson Fyra" in str(removed)
    await settled(story, clock.now())
    shown_a = story.emulator.current(EDITOR_A.conversation_id, first_a[0])
    assert shown_a is not None and "Borttaget av Testperson Fyra" in str(shown_a)
    again = card_of(await execute(story, EDITOR_A, "removal.done", task, reply_to_id=first_a[0]))
    assert "redan klar" in str(again)

    async with story.bot.sessions() as session:
        consent = await session.get(ConsentRow, consent_id)
        tasks = (await session.scalars(select(RemovalTaskRow).order_by(RemovalTaskRow.id))).all()
        [capture] = (await session.scalars(select(EvidenceFileRow))).all()
        actions = (await session.scalars(select(AuditEventRow.action))).all()
        still_open = await open_removal_tasks(session, tasks[0].channel_id)
    assert (
        consent is not None and consent.status == "withdrawn" and consent.withdrawal_note == "Mejl"
    )
    assert sorted(t.status for t in tasks) == ["done", "open"]
    assert capture.subject_type == "removal_task" and len(capture.sha256) == 64
    assert still_open == 1
    for action in (
        "consent.withdrawn",
        "removal_task.created",
        "removal_task.captured",
        "removal_task.done",
    ):
        assert action in actions

    # A second withdrawal of the same consent changes nothing.
    twice = card_of(
        await execute(story, EDITOR_B, "consent.withdraw", {"consent_id": str(consent_id)})
    )
    assert "redan återkallat" in str(twice)


async def test_r9_two_editors_withdrawing_at_once_make_one_withdrawal(
    story: Story, clock: FixedClock
):
    consent_id = await published_twice(story)
    answers = await asyncio.gather(
        *(
            execute(story, user, "consent.withdraw", {"consent_id": str(consent_id)})
            for user in (EDITOR_A, EDITOR_B)
        )
    )
    texts = sorted(str(card_of(answer)) for answer in answers)
    assert sum("är återkallat. 2 inlägg" in text for text in texts) == 1
    assert sum("redan återkallat" in text for text in texts) == 1
    async with story.bot.sessions() as session:
        tasks = (await session.scalars(select(RemovalTaskRow))).all()
        withdrawals = (
            await session.scalars(
                select(AuditEventRow).where(AuditEventRow.action == "consent.withdrawn")
            )
        ).all()
    assert len(tasks) == 2 and len(withdrawals) == 1


async def test_r9_only_editors_and_the_manager_may_withdraw_or_act_on_tasks(story: Story):
    consent_id = await published_twice(story)
    await story.say(OUTSIDER, "återkalla samtycke")
    assert "inga gällande samtycken" in story.emulator.texts(OUTSIDER.conversation_id)[-1]
    forged = await execute(story, OUTSIDER, "consent.withdraw", {"consent_id": str(consent_id)})
    assert refused(forged)  # issue 23: one sentence, naming nothing
    async with story.bot.sessions() as session:
        consent = await session.get(ConsentRow, consent_id)
    assert consent is not None and consent.status == "active"

    await execute(story, story.manager, "consent.withdraw", {"consent_id": str(consent_id)})
    async with story.bot.sessions() as session:
        task_id = (await session.scalars(select(RemovalTaskRow.id))).first()
    status, body = await story.bot.post(
        _execute_raw(story, OUTSIDER, "removal.capture", {"task_id": task_id}, None)
    )
    assert status == 200 and refused(body)


async def test_r11_open_tasks_remind_the_editors_then_reach_the_manager(
    story: Story, clock: FixedClock, files: FileServer
):
    consent_id = await published_twice(story)
    start = clock.now()
    await execute(story, EDITOR_A, "consent.withdraw", {"consent_id": str(consent_id)})
    await settled(story, start)
    assert len(removal_cards(story, EDITOR_B)) == 2

    assert (await sweep(story, clock, start + timedelta(days=1)))["removal_reminders"] == 0
    assert (await sweep(story, clock, start + timedelta(days=2, hours=1)))[
        "removal_reminders"
    ] == 2
    reminders = [c for _, c in removal_cards(story, EDITOR_B) if "Påminnelse" in str(c)]
    assert len(reminders) == 2
    manager_cards = lambda: [  # noqa: E731
        c for _, c in cards_to(story, story.manager) if "inte borttaget" in str(c)
    ]
    assert manager_cards() == []
    await sweep(story, clock, start + timedelta(days=7, hours=1))
    assert len(manager_cards()) == 2
    await sweep(story, clock, start + timedelta(days=8, hours=1))
    assert len(manager_cards()) == 2  # told once per task

    # Once the post is removed, the manager's notice about it says so (issue 13).
    [(escalated_id, _)] = [(i, c) for i, c in cards_to(story, story.manager) if POSTS[0] in str(c)]
    [(task_id, task_card)] = [
        (i, c)
        for i, c in removal_cards(story, EDITOR_B)
        if POSTS[0] in str(c) and "Påminnelse" not in str(c)
    ]
    task = task_card["actions"][0]["data"]
    await story.bot.post(_execute_raw(story, EDITOR_B, "removal.capture", task, task_id))
    await send_file(story, EDITOR_B, files, "inlagg.png", png(5), "png")
    await execute(story, EDITOR_B, "removal.done", task, reply_to_id=task_id)
    await settled(story, clock.now())
    shown = story.emulator.current(story.manager.conversation_id, escalated_id)
    assert shown is not None and "Borttaget av Testperson Fyra" in str(shown)
    assert "Prata med redaktörerna" not in str(shown)
    other = next(i for i, c in cards_to(story, story.manager) if POSTS[1] in str(c))
    still = story.emulator.current(story.manager.conversation_id, other)
    assert still is not None and "Borttaget" not in str(still)  # the other post is not removed


async def test_r11_a_post_without_an_address_still_gets_a_task(story: Story, clock: FixedClock):
    """The register as another flow writes it: a consent and a check whose address is unknown."""
    channel = await channel_id(story)
    now = clock.now()
    async with story.bot.sessions.begin() as session:
        consent = ConsentRow(
            channel_id=channel,
            subject="Elev 9C:1",
            minor=False,
            scope="several_contexts",
            form="written",
            status="active",
            recorded_at=now,
            details={},
        )
        check = ConsentCheckRow(
            channel_id=channel, answers={}, outcome="publish", checked_at=now, post_address=None
        )
        session.add_all([consent, check])
        await session.flush()
        session.add(ConsentCheckConsentRow(check_id=check.id, consent_id=consent.id))
        consent_id = consent.id

    await story.say(EDITOR_A, "återkalla samtycke")
    _, form = story.last_card_to(EDITOR_A.conversation_id)
    assert "Elev 9C:1" in str(form) and "1 inlägg" in str(form)
    await execute(story, EDITOR_A, "consent.withdraw", {"consent_id": str(consent_id)})
    await settled(story, now)

    for user in (EDITOR_A, EDITOR_B):
        [(_, task)] = removal_cards(story, user)
        assert "Adressen är inte känd" in str(task)
    # Another user's click on the task changes nothing.
    data = task["actions"][0]["data"]
    status, body = await story.bot.post(_execute_raw(story, OUTSIDER, "removal.done", data, None))
    assert status == 200 and body["value"] == "Du får inte göra det här."
    async with story.bot.sessions() as session:
        [row] = (await session.scalars(select(RemovalTaskRow))).all()
    assert (row.post_address, row.status) == (None, "open")


def _execute_raw(
    story: Story, user: Any, verb: str, data: dict[str, Any], reply_to_id: str | None
) -> dict[str, Any]:
    from tests.support.factories import make_execute

    return make_execute(
        verb, data, user=user, service_url=story.emulator.service_url, reply_to_id=reply_to_id
    )
