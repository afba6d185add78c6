"""After the decision: declines, reminders, my channels, communications, SMTP trouble."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.app import DELIVERY, SCHEDULER
from bot.settings import Settings
from domain.lifecycle import ChannelStatus
from domain.outbox import OutboxStatus
from domain.policy import Policy
from storage.models import OutboxRow
from tests.bot.channel_story import Story, form_answers
from tests.conftest import START, BotFactory
from tests.support.connector_emulator import ConnectorEmulator
from tests.support.factories import make_execute, make_message, make_submit, make_user
from tests.support.smtp_sink import SmtpSink


@pytest.fixture
async def story(start_bot: BotFactory, emulator: ConnectorEmulator) -> Story:
    # Sweeps run when a test says so (it moves the clock), not in the background.
    return Story(await start_bot(schedule=False), emulator)


async def test_r3_a_decline_asks_for_another_editor_who_then_accepts(story: Story):
    channel_id = await story.approve()
    invite_id, invite = await story.wait_card_to(story.editor)
    editor_id = invite["actions"][0]["data"]["editor_id"]

    await story.click(
        story.editor,
        "editor.decline",
        {"channel_id": channel_id, "editor_id": editor_id},
        reply_to_id=invite_id,
    )

    # The requester is asked for another name (the status card came first).
    nominate_id, nominate = await story.wait_card_to(story.requester, count=2)
    assert [a["verb"] for a in nominate["actions"]] == ["editor.nominate"]
    substitute = make_user(5)
    await story.click(
        story.requester,
        "editor.nominate",
        {"channel_id": channel_id, "editors": substitute.aad_object_id},
        reply_to_id=nominate_id,
    )
    new_invite_id, new_invite = await story.wait_card_to(substitute)
    await story.click(
        substitute,
        "editor.accept",
        {"channel_id": channel_id, "editor_id": new_invite["actions"][0]["data"]["editor_id"]},
        reply_to_id=new_invite_id,
    )
    assert (await story.channel()).status == ChannelStatus.EDITORS_READY.value


async def test_r3_only_the_invited_person_can_answer(story: Story):
    channel_id = await story.approve()
    _, invite = await story.wait_card_to(story.editor)
    editor_id = invite["actions"][0]["data"]["editor_id"]

    body = await story.click(
        make_user(6), "editor.accept", {"channel_id": channel_id, "editor_id": editor_id}
    )

    # Issue 23: someone else's invitation is refused and names nothing of the channel.
    assert body["value"] == "Du får inte göra det här."
    assert (await story.channel()).status == ChannelStatus.APPROVED.value


async def test_r2_the_manager_is_reminded_once_after_the_policy_days(story: Story, clock):  # type: ignore[no-untyped-def]
    await story.say(story.requester, "ny kanal")
    form_id, _ = story.last_card_to(story.requester.conversation_id)
    await story.click(
        story.requester,
        "channel.submit",
        form_answers(story.editor, story.manager),
        reply_to_id=form_id,
    )
    await story.wait_card_to(story.manager)
    scheduler = story.bot.app[SCHEDULER]

    clock.set(START + timedelta(days=2))
    assert (await scheduler.run_once())["approval_reminders"] == 0
    clock.set(START + timedelta(days=3, minutes=1))
    assert (await scheduler.run_once())["approval_reminders"] == 1
    assert (await scheduler.run_once())["approval_reminders"] == 0  # once only

    _, reminder = await story.wait_card_to(story.manager, count=2)
    assert "Påminnelse" in str(reminder)


async def test_my_channels_lists_the_channel_for_each_role(story: Story):
    await story.approve()

    for user, role in (
        (story.requester, "Beställare"),
        (story.manager, "Chef"),
        (story.editor, "Redaktör"),
    ):
        await story.say(user, "mina kanaler")
        _, card = story.last_card_to(story.conversation_of(user))
        assert "Fritidsgården Ugglan" in str(card), role
        assert role in str(card)
    await story.say(make_user(7), "mina kanaler")
    _, empty = story.last_card_to(make_user(7).conversation_id)
    assert "Fritidsgården Ugglan" not in str(empty)


async def test_r7_the_communications_channel_sees_plans_and_its_comment_reaches_the_requester(
    start_bot: BotFactory, emulator: ConnectorEmulator
):
    """R7: plans go to the communications channel an admin picked; comments come back."""
    admin = make_user(8)
    bot = await start_bot(policy=Policy(admins=(admin.aad_object_id,)))
    story = Story(bot, emulator)
    team_channel = "19:kommunikation@thread.tacv2"
    in_team = make_message("kommunikationskanal", user=admin, service_url=emulator.service_url)
    in_team["conversation"] = {
        "id": team_channel,
        "conversationType": "channel",
        "isGroup": True,
        "tenantId": admin.tenant_id,
    }
    status, _ = await bot.post(in_team)
    assert status == 200
    await emulator.wait_for(lambda e: any("Klart" in t for t in e.texts(team_channel)))

    await story.say(story.requester, "ny kanal")
    form_id, _ = story.last_card_to(story.requester.conversation_id)
    await story.click(
        story.requester,
        "channel.submit",
        form_answers(story.editor, story.manager),
        reply_to_id=form_id,
    )
    await emulator.wait_for(lambda e: bool(e.cards(team_channel)))
    [summary] = emulator.cards(team_channel)
    channel = await story.channel()
    assert "Fritidsgården Ugglan" in str(summary)

    comment = {
        "channel_id": channel.id,
        "version": channel.version,
        "comment": "Tänk på tillgänglighet: alt-texter på bilderna.",
        "verb": "comms.comment",
    }
    # R7: the comment is clicked on the card in the communications channel, where it was posted.
    click = make_execute("comms.comment", comment, user=admin, service_url=emulator.service_url)
    click["conversation"] = {**in_team["conversation"], "id": f"{team_channel};messageid=1"}
    status, body = await bot.post(click)
    assert status == 200 and "Du får inte" not in str(body)
    await emulator.wait_for(
        lambda e: any("alt-texter" in t for t in e.texts(story.requester.conversation_id))
    )


async def test_only_admins_pick_the_communications_channel(
    story: Story, emulator: ConnectorEmulator
):
    await story.say(story.requester, "kommunikationskanal")
    assert "administratörer" in emulator.texts(story.requester.conversation_id)[-1]


@pytest.fixture
async def smtp() -> AsyncIterator[SmtpSink]:
    async with SmtpSink() as sink:
        yield sink


async def test_r8_a_refusing_smtp_server_delays_the_notice_but_loses_nothing(
    start_bot: BotFactory, emulator: ConnectorEmulator, smtp: SmtpSink, clock
):  # type: ignore[no-untyped-def]
    settings = Settings(
        mail_transport="smtp",
        smtp_host=smtp.host,
        smtp_port=smtp.port,
        smtp_starttls=False,
        mail_from="kanalkollen@stad.example",
    )
    story = Story(await start_bot(settings), emulator)
    channel_id = await story.approve()
    invite_id, invite = await story.wait_card_to(story.editor)
    await story.click(
        story.editor,
        "editor.accept",
        {"channel_id": channel_id, "editor_id": invite["actions"][0]["data"]["editor_id"]},
        reply_to_id=invite_id,
    )
    registration_id, _ = await story.wait_card_to(story.requester, count=2)
    smtp.refuse_next(451, times=2)
    channel = await story.channel()

    await story.click(
        story.requester,
        "channel.register",
        {
            "channel_id": channel.id,
            "version": channel.version,
            "address": "https://instagram.com/ugglan",
        },
        reply_to_id=registration_id,
    )

    async def mail_row() -> OutboxRow:
        from sqlalchemy import select

        async with story.bot.sessions() as session:
            return (
                await session.scalars(select(OutboxRow).where(OutboxRow.kind == "email"))
            ).one()

    async def settled(attempts: int) -> OutboxRow:
        """Waits until the row's attempt number `attempts` has finished (not "sending")."""
        for _ in range(500):
            row = await mail_row()
            if row.attempts >= attempts and row.status != OutboxStatus.SENDING.value:
                return row
            await asyncio.sleep(0.02)
        raise AssertionError(f"e-mail row stayed {row.status} after {row.attempts} attempts")

    assert (await settled(1)).status == OutboxStatus.PENDING.value
    assert smtp.received == []
    for step in (1, 2):
        clock.set(START + timedelta(hours=step))
        story.bot.app[DELIVERY].wake()
        await settled(step + 1)
    row = await mail_row()
    assert row.status == OutboxStatus.SENT.value
    assert row.attempts == 3
    assert len(smtp.received) == 1


async def test_r3_an_editor_accepts_with_the_submit_fallback(story: Story):
    """A client without Universal Actions (Action.Submit) answers the invitation too."""
    channel_id = await story.approve()
    invite_id, invite = await story.wait_card_to(story.editor)
    accept = next(a for a in invite["actions"] if a["verb"] == "editor.accept")
    assert accept["fallback"]["type"] == "Action.Submit"
    before = len(story.emulator.updates)

    submit = make_submit(
        accept["fallback"]["data"],
        user=story.editor,
        service_url=story.emulator.service_url,
        reply_to_id=invite_id,
    )
    submit["conversation"]["id"] = story.conversation_of(story.editor)  # the chat it landed in
    status, _ = await story.bot.post(submit)

    assert status == 200
    await story.emulator.wait_for(lambda emu: len(emu.updates) > before)
    shown = story.emulator.current(story.conversation_of(story.editor), invite_id)
    assert shown is not None and "editor.accept" not in str(shown)
    assert "Du har tackat ja. Välkommen som redaktör!" in str(shown)  # a sentence, to them
    assert (await story.channel()).status == ChannelStatus.EDITORS_READY.value
    assert channel_id == (await story.channel()).id
