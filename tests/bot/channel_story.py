"""Shared steps of the new-channel stories: a requester, a manager, an editor, Teams, SMTP."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from storage.models import ChannelRow
from tests.conftest import START, RunningBot
from tests.support.connector_emulator import ConnectorEmulator
from tests.support.factories import TeamsUser, make_execute, make_message, make_user

EVALUATION = (START + timedelta(days=120)).date().isoformat()


def form_answers(editor: TeamsUser, manager: TeamsUser | None, **overrides: str) -> dict[str, str]:
    """A complete, valid set of answers to the new-channel form."""
    answers = {
        "platform": "instagram",
        "name": "Fritidsgården Ugglan",
        "unit": "Fritidsgården Ugglan",
        "purpose": "Berätta om aktiviteter för unga 13–17 år och deras vårdnadshavare.",
        "goals": "Fler besökare på kvällsaktiviteterna.",
        "target_groups": "Unga 13–17 år i närområdet.",
        "content_and_rhythm": "Två inlägg i veckan: program och bilder från aktiviteter.",
        "comment_handling": "Redaktörerna svarar på kommentarer vardagar inom ett dygn.",
        "moderation_and_crisis": "Kränkande kommentarer döljs och dokumenteras; chefen kontaktas.",
        "evaluation_date": EVALUATION,
        "editors": editor.aad_object_id,
        "login_reference": "Enhetens lösenordsvalv, posten Instagram Ugglan",
    }
    if manager is not None:
        answers["manager"] = manager.aad_object_id
    answers.update(overrides)
    return answers


@dataclass
class Story:
    """The people of a story and what Teams shows them."""

    bot: RunningBot
    emulator: ConnectorEmulator
    requester: TeamsUser = field(default_factory=lambda: make_user(1))
    editor: TeamsUser = field(default_factory=lambda: make_user(2))
    manager: TeamsUser = field(default_factory=lambda: make_user(3))

    async def say(self, user: TeamsUser, text: str, locale: str = "sv-SE") -> None:
        """The user types a message in their chat with the bot."""
        before = len(self.emulator.sent)
        status, _ = await self.bot.post(
            make_message(text, user=user, service_url=self.emulator.service_url, locale=locale)
        )
        assert status == 200
        await self.emulator.wait_for_count(before + 1)

    async def click(
        self,
        user: TeamsUser,
        verb: str,
        data: dict[str, Any],
        reply_to_id: str | None = None,
        locale: str = "sv-SE",
    ) -> dict[str, Any]:
        """The user presses an Action.Execute button; returns the card Teams shows instead."""
        status, body = await self.bot.post(
            make_execute(
                verb,
                {**data, "verb": verb},
                user=user,
                service_url=self.emulator.service_url,
                reply_to_id=reply_to_id,
                locale=locale,
            )
        )
        assert status == 200, body
        return body

    def last_card_to(self, conversation_id: str) -> tuple[str, dict[str, Any]]:
        """The newest card posted to a conversation, with the activity id Teams gave it."""
        for record in reversed(self.emulator.sent):
            body = record.body or {}
            attachments = body.get("attachments") or []
            if record.conversation_id == conversation_id and attachments:
                assert record.result_id is not None
                return record.result_id, attachments[0]["content"]
        raise AssertionError(f"no card posted to {conversation_id}\n{self.emulator.summary()}")

    def conversation_of(self, user: TeamsUser) -> str:
        """The 1:1 chat the bot has (or created) with a user."""
        for record in self.emulator.created_conversations:
            members = (record.body or {}).get("members") or []
            if members and members[0].get("id") in (user.aad_object_id, user.user_id):
                assert record.response is not None
                return str(record.response["id"])
        return user.conversation_id

    async def wait_card_to(self, user: TeamsUser, count: int = 1) -> tuple[str, dict[str, Any]]:
        """Waits until a card reaches the user's chat; returns the newest."""

        def arrived(emulator: ConnectorEmulator) -> bool:
            conversation = self.conversation_of(user)
            cards = [
                r
                for r in emulator.sent
                if r.conversation_id == conversation and (r.body or {}).get("attachments")
            ]
            return len(cards) >= count

        await self.emulator.wait_for(arrived)
        return self.last_card_to(self.conversation_of(user))

    async def channel(self) -> ChannelRow:
        """The one channel in the database."""
        async with self.bot.sessions() as session:
            return (await session.scalars(select(ChannelRow))).one()

    async def request(self) -> tuple[str, str]:
        """The requester files a valid request; returns the form's and the approval's ids."""
        await self.say(self.requester, "ny kanal")
        form_id, _ = self.last_card_to(self.requester.conversation_id)
        await self.click(
            self.requester,
            "channel.submit",
            form_answers(self.editor, self.manager),
            reply_to_id=form_id,
        )
        approval_id, _ = await self.wait_card_to(self.manager)
        return form_id, approval_id

    async def approve(self) -> int:
        """Request and approval; returns the channel's id."""
        _, approval_id = await self.request()
        channel = await self.channel()
        await self.click(
            self.manager,
            "approval.approve",
            {"channel_id": channel.id, "version": channel.version, "login_access": "true"},
            reply_to_id=approval_id,
        )
        return channel.id
