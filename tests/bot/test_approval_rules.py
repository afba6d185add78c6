"""The manager's decision through the real app (R2, R5, R6): who, once, and on which card."""

from __future__ import annotations

import asyncio

import pytest

from domain.lifecycle import ChannelStatus
from storage.audit import events_for
from tests.bot.channel_story import Story, form_answers
from tests.conftest import BotFactory
from tests.support.connector_emulator import ConnectorEmulator
from tests.support.factories import make_user


@pytest.fixture
def bot_database_url(database_url: str) -> str:
    """This module runs on SQLite and on PostgreSQL."""
    return database_url


@pytest.fixture
async def story(start_bot: BotFactory, emulator: ConnectorEmulator) -> Story:
    return Story(await start_bot(), emulator)


async def test_r2_someone_else_cannot_decide(story: Story):
    await story.request()
    channel = await story.channel()
    stranger = make_user(4)

    body = await story.click(
        stranger,
        "approval.approve",
        {"channel_id": channel.id, "version": channel.version, "login_access": "true"},
    )

    # Issue 23: the refusal names nothing of the channel and changes nothing.
    assert body["value"] == "Du får inte göra det här."
    assert (await story.channel()).status == ChannelStatus.PENDING_APPROVAL.value
    async with story.bot.sessions() as session:
        actions = [e.action for e in await events_for(session, "channel", channel.id)]
    assert actions == ["editor.nominated", "channel.submitted"]


async def test_r2_a_double_click_decides_once(story: Story):
    _, approval_id = await story.request()
    channel = await story.channel()
    data = {"channel_id": channel.id, "version": channel.version, "login_access": "true"}

    first, second = await asyncio.gather(
        story.click(story.manager, "approval.approve", data, reply_to_id=approval_id),
        story.click(story.manager, "approval.approve", data, reply_to_id=approval_id),
    )

    texts = [str(first["value"]), str(second["value"])]
    assert sum("redan beslutad" in t or "inaktuellt" in t for t in texts) == 1
    async with story.bot.sessions() as session:
        actions = [e.action for e in await events_for(session, "channel", channel.id)]
    assert actions.count("channel.approved") == 1


async def test_a_stale_card_changes_nothing(story: Story):
    await story.request()
    channel = await story.channel()

    body = await story.click(
        story.manager,
        "approval.reject",
        {"channel_id": channel.id, "version": channel.version - 1, "comment": "Nej"},
    )

    assert "inaktuellt" in str(body["value"])
    assert (await story.channel()).status == ChannelStatus.PENDING_APPROVAL.value


async def test_reject_needs_a_comment_and_tells_the_requester(story: Story):
    _, approval_id = await story.request()
    channel = await story.channel()
    data = {"channel_id": channel.id, "version": channel.version}

    refused = await story.click(story.manager, "approval.reject", data, reply_to_id=approval_id)
    assert "Skriv en kommentar" in str(refused["value"])

    await story.click(
        story.manager,
        "approval.reject",
        {**data, "comment": "Vi har redan en kanal för området."},
        reply_to_id=approval_id,
    )

    assert (await story.channel()).status == ChannelStatus.REJECTED.value
    await story.emulator.wait_for(
        lambda e: any(
            "Vi har redan en kanal för området." in t
            for t in e.texts(story.requester.conversation_id)
        )
    )


async def test_ask_for_changes_then_resubmit_goes_back_to_the_manager(story: Story):
    _, approval_id = await story.request()
    channel = await story.channel()

    await story.click(
        story.manager,
        "approval.changes",
        {
            "channel_id": channel.id,
            "version": channel.version,
            "comment": "Skriv mer om hur ni svarar på kommentarer.",
        },
        reply_to_id=approval_id,
    )
    assert (await story.channel()).status == ChannelStatus.CHANGES_REQUESTED.value

    # The form comes back to the requester, prefilled, with the manager's comment.
    form_id, form = await story.wait_card_to(story.requester, count=2)
    assert "Skriv mer om hur ni svarar på kommentarer." in str(form)
    assert "Fritidsgården Ugglan" in str(form)
    channel = await story.channel()
    answers = form_answers(
        story.editor,
        story.manager,
        comment_handling="Redaktörerna svarar inom fyra timmar vardagar.",
    )
    await story.click(
        story.requester,
        "channel.submit",
        {**answers, "channel_id": channel.id, "version": channel.version},
        reply_to_id=form_id,
    )

    channel = await story.channel()
    assert channel.status == ChannelStatus.PENDING_APPROVAL.value
    assert channel.plan["comment_handling"] == "Redaktörerna svarar inom fyra timmar vardagar."
    new_approval_id, _ = await story.wait_card_to(story.manager, count=2)
    await story.click(
        story.manager,
        "approval.approve",
        {"channel_id": channel.id, "version": channel.version, "login_access": "true"},
        reply_to_id=new_approval_id,
    )
    assert (await story.channel()).status == ChannelStatus.APPROVED.value


async def test_the_requester_cannot_resubmit_while_the_manager_decides(story: Story):
    form_id, _ = await story.request()
    channel = await story.channel()

    body = await story.click(
        story.requester,
        "channel.submit",
        {
            **form_answers(story.editor, story.manager),
            "channel_id": channel.id,
            "version": channel.version,
        },
        reply_to_id=form_id,
    )

    assert "redan skickad" in str(body["value"])
    assert (await story.channel()).version == channel.version


async def test_r2_a_deputy_for_the_unit_may_decide(
    start_bot: BotFactory, emulator: ConnectorEmulator
):
    from domain.policy import Deputy, Policy

    deputy = make_user(9)
    policy = Policy(
        deputies=(Deputy(unit="fritidsgården ugglan", aad_object_id=deputy.aad_object_id),)
    )
    story = Story(await start_bot(policy=policy), emulator)
    await story.request()
    channel = await story.channel()

    await story.click(
        deputy,
        "approval.approve",
        {"channel_id": channel.id, "version": channel.version, "login_access": "true"},
    )

    channel = await story.channel()
    assert channel.status == ChannelStatus.APPROVED.value
    async with story.bot.sessions() as session:
        from storage.models import PersonRow

        decider = await session.get(PersonRow, channel.decided_by_person_id)
    assert decider is not None and decider.aad_object_id == deputy.aad_object_id


async def test_a_client_without_universal_actions_decides_with_action_submit(story: Story):
    from tests.support.factories import make_submit

    _, approval_id = await story.request()
    channel = await story.channel()
    manager_chat = story.conversation_of(story.manager)

    status, _ = await story.bot.post(
        make_submit(
            {
                "verb": "approval.approve",
                "channel_id": channel.id,
                "version": channel.version,
                "login_access": "true",
            },
            user=story.manager,
            service_url=story.emulator.service_url,
            reply_to_id=approval_id,
            conversation={
                "id": manager_chat,
                "conversationType": "personal",
                "tenantId": story.manager.tenant_id,
            },
        )
    )

    assert status == 200
    assert (await story.channel()).status == ChannelStatus.APPROVED.value
    # The clicked card is replaced in place, as Action.Execute would have done.
    await story.emulator.wait_for(lambda e: any(u.activity_id == approval_id for u in e.updates))
    current = story.emulator.current(manager_chat, approval_id)
    assert current is not None and "Godkänd" in str(current)
