"""People Teams cannot reach are reached by e-mail, and whoever decides is told (issue 13.5).

Each case goes through the real app: the documentation reminder (R12) to an editor whom Teams
refuses (403), whom the bot knows only by the e-mail an import gave, or with whom Teams will not
open a chat (400 BadArgument); and a card a decision waits on to a manager Teams refuses, which
an administrator hears about. The e-mails arrive at a real SMTP server on loopback.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, select

from cards.common import attachment
from domain.clock import FixedClock
from domain.outbox import OutboxKind, OutboxStatus
from domain.policy import DocumentationPolicy, Policy
from storage.models import (
    AuditEventRow,
    ChannelRow,
    ConversationReferenceRow,
    OutboxRow,
    PersonRow,
)
from storage.outbox import enqueue
from tests.bot.active_story import at, settled
from tests.bot.active_story import sweep as _sweep
from tests.bot.channel_story import Story
from tests.bot.ugglan_story import DUE, EDITOR_A, EDITOR_B, MANAGER, RECORDS, ugglan_story
from tests.conftest import BotFactory
from tests.support.connector_emulator import ConnectorEmulator
from tests.support.factories import TENANT_ID, TeamsUser, make_user
from tests.support.smtp_sink import ReceivedMail, SmtpSink

ADMIN = make_user(5)
LOCAL_BOT = "http://127.0.0.1"  # local mode: the bot's own URL stands in for the Teams link


@pytest.fixture
def bot_database_url(database_url: str) -> str:
    """These stories run on SQLite and on PostgreSQL."""
    return database_url


async def _story(
    start_bot: BotFactory,
    emulator: ConnectorEmulator,
    clock: FixedClock,
    smtp: SmtpSink,
    tmp_path,  # type: ignore[no-untyped-def]
    *,
    wrote: tuple[TeamsUser, ...],
) -> Story:
    """Ugglan, with an admin by policy; `wrote` have talked to the bot."""
    policy = Policy(
        documentation=DocumentationPolicy(records_mailbox=RECORDS),
        admins=(ADMIN.aad_object_id,),
    )
    return await ugglan_story(
        start_bot, emulator, clock, smtp, tmp_path, policy=policy, wrote=wrote, also=(ADMIN,)
    )


def _mails_to(smtp: SmtpSink, user: TeamsUser) -> list[ReceivedMail]:
    return [m for m in smtp.received if user.email in m.rcpt_tos]


async def _reminder_rows(story: Story, user: TeamsUser) -> list[OutboxRow]:
    async with story.bot.sessions() as session:
        person = await session.scalar(select(PersonRow).where(PersonRow.email == user.email))
        assert person is not None
        return list(
            await session.scalars(
                select(OutboxRow)
                .where(OutboxRow.recipient_person_id == person.id)
                .where(OutboxRow.kind == OutboxKind.TEAMS_MESSAGE.value)
            )
        )


def _assert_reminder_mail(mail: ReceivedMail) -> None:
    assert mail.subject.startswith("Kanalkollen: Dags att dokumentera Ugglan")
    body = mail.body_text
    assert "Kanalkollen kunde inte nå dig i Teams" in body
    assert "Det här väntar på ditt svar i Teams: Dokumentera nu." in body
    assert f"Öppna Kanalkollen i Teams: {LOCAL_BOT}" in body


def _told(story: Story, user: TeamsUser, name: str) -> list[str]:
    return [
        t
        for t in story.emulator.texts(user.conversation_id)
        if t.startswith(f"Kanalkollen når inte {name} i Teams.")
    ]


async def test_an_editor_who_blocked_the_bot_gets_the_reminder_by_email_r12(
    start_bot: BotFactory, emulator: ConnectorEmulator, clock: FixedClock, smtp: SmtpSink, tmp_path
):
    story = await _story(
        start_bot, emulator, clock, smtp, tmp_path, wrote=(EDITOR_A, EDITOR_B, MANAGER)
    )
    emulator.block_conversation(EDITOR_A.conversation_id)  # 403 ConversationBlockedByUser

    await _sweep(story, clock, at(DUE - timedelta(days=14)))

    [mail] = _mails_to(smtp, EDITOR_A)
    _assert_reminder_mail(mail)
    assert _mails_to(smtp, EDITOR_B) == []  # reached in Teams
    [told] = _told(story, MANAGER, "Testperson Två")
    assert "”Dags att dokumentera Ugglan" in told and EDITOR_A.email in told
    [row] = await _reminder_rows(story, EDITOR_A)
    assert row.status == OutboxStatus.UNDELIVERABLE.value
    async with story.bot.sessions() as session:
        actions = (await session.scalars(select(AuditEventRow.action))).all()
    assert "person.undeliverable" in actions and "person.reached_by_email" in actions


async def test_an_editor_known_only_by_email_gets_the_reminder_by_email_r12(
    start_bot: BotFactory, emulator: ConnectorEmulator, clock: FixedClock, smtp: SmtpSink, tmp_path
):
    """Imported by e-mail and never in the chat: no Teams id, so the reminder goes by e-mail
    (before, nothing reached them until they wrote)."""
    story = await _story(start_bot, emulator, clock, smtp, tmp_path, wrote=(EDITOR_A, MANAGER))

    await _sweep(story, clock, at(DUE - timedelta(days=14)))

    [mail] = _mails_to(smtp, EDITOR_B)
    _assert_reminder_mail(mail)
    assert _told(story, MANAGER, EDITOR_B.email)  # the bot knows no name, only the address
    [row] = await _reminder_rows(story, EDITOR_B)
    assert row.status == OutboxStatus.UNDELIVERABLE.value
    async with story.bot.sessions() as session:
        person = await session.scalar(select(PersonRow).where(PersonRow.email == EDITOR_B.email))
    # Not refused by Teams, only unknown to it: no replacement is asked for (R3).
    assert person is not None and person.undeliverable_at is None
    assert not any("Välj en ersättare" in str(c) for c in emulator.texts(MANAGER.conversation_id))


async def test_a_chat_teams_will_not_open_ends_in_an_email_not_the_dead_letters(
    start_bot: BotFactory, emulator: ConnectorEmulator, clock: FixedClock, smtp: SmtpSink, tmp_path
):
    story = await _story(
        start_bot, emulator, clock, smtp, tmp_path, wrote=(EDITOR_A, EDITOR_B, MANAGER)
    )
    async with story.bot.sessions.begin() as session:  # the 1:1 chat must be created again
        await session.execute(
            delete(ConversationReferenceRow).where(
                ConversationReferenceRow.conversation_id == EDITOR_B.conversation_id
            )
        )
    emulator.fail_next(
        400, operation="create", code="BadArgument", message="Bot is not installed in user's scope"
    )

    await _sweep(story, clock, at(DUE - timedelta(days=14)))

    [mail] = _mails_to(smtp, EDITOR_B)
    _assert_reminder_mail(mail)
    [row] = await _reminder_rows(story, EDITOR_B)
    assert row.status == OutboxStatus.UNDELIVERABLE.value  # not dead: the person was reached
    assert _told(story, MANAGER, "Testperson Fyra")


async def test_a_manager_teams_refuses_is_emailed_and_an_admin_is_told(
    start_bot: BotFactory, emulator: ConnectorEmulator, clock: FixedClock, smtp: SmtpSink, tmp_path
):
    """The approver themself cannot be reached: the administrators hear that a decision waits."""
    story = await _story(
        start_bot, emulator, clock, smtp, tmp_path, wrote=(EDITOR_A, EDITOR_B, MANAGER, ADMIN)
    )
    emulator.block_conversation(MANAGER.conversation_id)
    now = clock.now()
    async with story.bot.sessions.begin() as session:
        channel = (await session.scalars(select(ChannelRow))).one()
        manager_id = channel.manager_person_id
        card = {
            "type": "AdaptiveCard",
            "version": "1.5",
            "body": [
                {"type": "TextBlock", "text": "Godkänn en ny kanal: Ugglan"},
                {"type": "FactSet", "facts": [{"title": "Enhet", "value": "Ugglan"}]},
                {"type": "Input.Text", "id": "comment", "label": "Kommentar"},
            ],
            "actions": [
                {"type": "Action.Execute", "title": "Godkänn", "verb": "channel.approve"},
                {"type": "Action.Execute", "title": "Avslå", "verb": "channel.reject"},
            ],
        }
        enqueue(
            session,
            kind=OutboxKind.TEAMS_MESSAGE,
            payload={
                "activity": {"type": "message", "attachments": [attachment(card)]},
                "track": {"subject_type": "channel", "subject_id": channel.id, "card": "approval"},
            },
            now=now,
            tenant_id=TENANT_ID,
            recipient_person_id=manager_id,
        )
    await settled(story, now)

    [mail] = _mails_to(smtp, MANAGER)
    assert mail.subject == "Kanalkollen: Godkänn en ny kanal: Ugglan"
    assert "Enhet: Ugglan" in mail.body_text and "Kommentar" not in mail.body_text
    assert "väntar på ditt svar i Teams: Godkänn, Avslå." in mail.body_text
    [told] = _told(story, ADMIN, "Testperson Tre")
    assert "”Godkänn en ny kanal: Ugglan”" in told and MANAGER.email in told
