"""The whole new-channel story through the real app, the Teams emulator and an SMTP sink.

R2 manager approval, R3 two editors, R5 the plan, R6 the login reference and the manager's
access, R8 registration to the public list.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
from collections.abc import AsyncIterator
from datetime import date

import aiohttp
import pytest
from docx import Document
from sqlalchemy import select

from bot.settings import Settings
from domain.lifecycle import ChannelStatus
from storage.audit import events_for
from storage.models import PersonRow
from tests.bot.channel_story import Story, form_answers
from tests.conftest import BotFactory
from tests.support.connector_emulator import ConnectorEmulator
from tests.support.smtp_sink import SmtpSink


@pytest.fixture
def bot_database_url(database_url: str) -> str:
    """This module runs on SQLite and on PostgreSQL."""
    return database_url


@pytest.fixture
async def smtp() -> AsyncIterator[SmtpSink]:
    async with SmtpSink() as sink:
        yield sink


@pytest.fixture
async def story(
    start_bot: BotFactory, emulator: ConnectorEmulator, smtp: SmtpSink, tmp_path
) -> Story:
    settings = Settings(
        mail_transport="smtp",
        smtp_host=smtp.host,
        smtp_port=smtp.port,
        smtp_starttls=False,
        mail_from="kanalkollen@stad.example",
        files_dir=tmp_path / "files",
    )
    return Story(await start_bot(settings), emulator)


async def smtp_received(smtp: SmtpSink, count: int) -> None:
    for _ in range(250):
        if len(smtp.received) >= count:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{len(smtp.received)} e-mails arrived, expected {count}")


def _all_actions(card: dict) -> list[dict]:
    """Every action of a card, including those inside ActionSets in the body."""
    found = list(card.get("actions", []))

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") == "ActionSet":
                found.extend(node.get("actions", []))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card.get("body", []))
    return found


def _actions(card: dict) -> list[str]:
    return [a.get("verb", a.get("type")) for a in card.get("actions", [])]


async def test_request_approve_accept_register_makes_the_channel_active(
    story: Story, smtp: SmtpSink
):
    # The employee asks for a channel and gets the form (no Graph: it asks for the manager).
    await story.say(story.requester, "ny kanal")
    form_id, form = story.last_card_to(story.requester.conversation_id)
    assert _actions(form) == ["channel.submit"]
    assert any(e.get("id") == "manager" for e in form["body"])

    # R2, R5: a valid request replaces the form with the live status card.
    body = await story.click(
        story.requester,
        "channel.submit",
        form_answers(story.editor, story.manager),
        reply_to_id=form_id,
    )
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    channel = await story.channel()
    assert channel.status == ChannelStatus.PENDING_APPROVAL.value
    assert channel.plan_sha256 is not None and len(channel.plan_sha256) == 64

    # The manager, who never wrote to the bot, gets the approval card in a new 1:1 chat.
    approval_id, approval = await story.wait_card_to(story.manager)
    assert _actions(approval) == ["approval.approve", "approval.changes", "approval.reject"]
    assert approval["refresh"]["action"]["verb"] == "approval.refresh"

    # R6: approving needs the manager's confirmation of access to the login.
    refused = await story.click(
        story.manager,
        "approval.approve",
        {"channel_id": channel.id, "version": channel.version, "login_access": "false"},
        reply_to_id=approval_id,
    )
    assert "Bekräfta att du har tillgång till inloggningen" in str(refused["value"])

    # R5: the plan .docx is linked from the approval card by a signed, expiring URL.
    [plan_url] = [a["url"] for a in _all_actions(approval) if a.get("type") == "Action.OpenUrl"]
    async with aiohttp.ClientSession() as http, http.get(plan_url) as response:
        assert response.status == 200
        data = await response.read()
    assert hashlib.sha256(data).hexdigest() == channel.plan_sha256
    assert "Fritidsgården Ugglan" in "\n".join(
        p.text for p in Document(io.BytesIO(data)).paragraphs
    )
    async with aiohttp.ClientSession() as http, http.get(plan_url + "0") as response:
        assert response.status == 403
    assert (await story.channel()).status == ChannelStatus.PENDING_APPROVAL.value

    decided = await story.click(
        story.manager,
        "approval.approve",
        {
            "channel_id": channel.id,
            "version": channel.version,
            "login_access": "true",
            "comment": "",
        },
        reply_to_id=approval_id,
    )
    assert "Godkänd" in str(decided["value"])
    assert _actions(decided["value"]) == []
    channel = await story.channel()
    assert channel.status == ChannelStatus.APPROVED.value
    assert channel.manager_has_login_access

    # Every copy is updated: the requester's status card (the former form) shows the decision.
    await story.emulator.wait_for(lambda e: any(u.activity_id == form_id for u in e.updates))
    current = story.emulator.current(story.requester.conversation_id, form_id)
    assert current is not None and "Godkänd" in str(current)

    # R3: the nominated editor is invited and accepts; two editors -> ready.
    invite_id, invite = await story.wait_card_to(story.editor)
    assert _actions(invite) == ["editor.accept", "editor.decline"]
    editor_id = invite["actions"][0]["data"]["editor_id"]
    await story.click(
        story.editor,
        "editor.accept",
        {"channel_id": channel.id, "editor_id": editor_id},
        reply_to_id=invite_id,
    )
    assert (await story.channel()).status == ChannelStatus.EDITORS_READY.value

    # R8: the requester gives the address; the registry gets the notice; the channel is active.
    registration_id, registration = await story.wait_card_to(story.requester, count=2)
    assert _actions(registration) == ["channel.register"]
    channel = await story.channel()
    wrong = await story.click(
        story.requester,
        "channel.register",
        {
            "channel_id": channel.id,
            "version": channel.version,
            "address": "https://www.facebook.com/ugglan",
        },
        reply_to_id=registration_id,
    )
    assert "instagram.com" in str(wrong["value"])
    await story.click(
        story.requester,
        "channel.register",
        {
            "channel_id": channel.id,
            "version": channel.version,
            "address": "https://www.instagram.com/fritidsgarden.ugglan",
        },
        reply_to_id=registration_id,
    )
    channel = await story.channel()
    assert channel.status == ChannelStatus.ACTIVE.value
    assert channel.start_date == date(2026, 3, 2)
    assert channel.next_documentation_due == date(2026, 9, 2)

    await smtp_received(smtp, 1)
    [mail] = smtp.received
    assert mail.rcpt_tos == ("registret@example.org",)
    assert "Fritidsgården Ugglan" in mail.subject
    assert "https://www.instagram.com/fritidsgarden.ugglan" in mail.body_text
    assert "Enhetens lösenordsvalv" not in mail.body_text  # R6: never spread the login place

    async with story.bot.sessions() as session:
        actions = [e.action for e in await events_for(session, "channel", channel.id)]
    assert actions == [
        "editor.nominated",
        "channel.submitted",
        "channel.approved",
        "editor.accepted",
        "channel.editors_ready",
        "channel.registered",
    ]


async def test_people_picked_in_the_form_get_their_names_from_teams(story: Story):
    """Without Graph, the picked manager and editor are looked up in Teams when first named,
    so the approval card and the plan never say "okänd person"."""
    for user in (story.editor, story.manager):  # Teams knows them (the client's directory)
        story.emulator.add_member(
            story.requester.conversation_id, user.user_id, user.name, user.aad_object_id
        )

    await story.request()

    async with story.bot.sessions() as session:
        people = {
            p.aad_object_id: p
            for p in (await session.scalars(select(PersonRow))).all()
            if p.aad_object_id in (story.editor.aad_object_id, story.manager.aad_object_id)
        }
    assert people[story.editor.aad_object_id].name == story.editor.name
    assert people[story.manager.aad_object_id].name == story.manager.name
    _, approval = story.last_card_to(story.conversation_of(story.manager))
    assert "okänd person" not in str(approval)
    assert story.editor.name in str(approval)
