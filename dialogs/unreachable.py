"""People Teams cannot reach: the message goes by e-mail, and whoever decides is told.

A Teams message to a person ends here when Teams refuses it for good: the person blocked or
removed the bot (403), the chat is gone (404), Teams refuses to open a chat with them (400,
e.g. `BadArgument` for a user the bot may not message), or the bot knows them only by the
e-mail address an import gave (no Teams id until they first write). The person gets the
message's text by e-mail, with a link that opens the bot in Teams. When the message asks them
to act (it has buttons), the channel's manager is told, or the administrators when the manager
is the one who cannot be reached: a decision may wait on that person (R2, R3, R9, R12).

Everything is queued in the transaction that gives up on the Teams message, so a crash either
leaves the message to be tried again or has queued the e-mail and the notice.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cards.i18n import Texts
from cards.plain import PlainMessage, plain_message
from dialogs.actor import admins_for
from dialogs.channel_views import person_name
from dialogs.notify import queue_email, texts_for
from dialogs.services import FlowServices
from domain.outbox import OutboxKind
from storage.audit import record_event
from storage.models import (
    ChannelClosingRow,
    ChannelEditorRow,
    ChannelRow,
    PersonRow,
    RemovalTaskRow,
)
from storage.outbox import OutboxMessage, enqueue_once

log = logging.getLogger(__name__)

# The outbox subject a tracked card is about, and how to find its channel.
_SUBJECT_CHANNEL = {
    "editor": (ChannelEditorRow, "channel_id"),
    "removal_task": (RemovalTaskRow, "channel_id"),
    "closing": (ChannelClosingRow, "channel_id"),
}


class UnreachableFlow:
    """Reaches by e-mail a person Teams refused, and tells who decides (see the module)."""

    def __init__(self, services: FlowServices, bot_link: str) -> None:
        self._s = services
        self._link = bot_link

    async def fallback(
        self, session: AsyncSession, message: OutboxMessage, reason: str, now: datetime
    ) -> None:
        """Queues the e-mail and, when a decision waits, the notice; in the caller's session."""
        if message.kind is not OutboxKind.TEAMS_MESSAGE or message.recipient_person_id is None:
            return
        person = await session.get(PersonRow, message.recipient_person_id)
        activity = message.payload.get("activity")
        if person is None or not isinstance(activity, dict):
            return
        plain = plain_message(activity)
        texts = texts_for(person)
        emailed = bool(person.email)
        if person.email:
            queue_email(
                session,
                to=person.email,
                subject=texts("unreachable.mail_subject", title=_short(plain.title, 120)),
                body=self._body(texts, plain),
                now=now,
                dedupe_key=f"unreachable-mail:{message.id}",
            )
        told = []
        if plain.waits_for_an_answer:
            for recipient in await self._deciders(session, message.payload, person):
                if await self._tell(session, recipient, person, plain, emailed, message.id, now):
                    told.append(recipient.id)
        if not emailed and not told:
            log.warning(
                "outbox %s: person %s is reachable neither in Teams nor by e-mail",
                message.id,
                person.id,
            )
        record_event(
            session,
            at=now,
            action="person.reached_by_email" if emailed else "person.unreached",
            subject_type="person",
            subject_id=person.id,
            details={"outbox_id": message.id, "reason": reason[:120], "told": told},
        )
        self._s.wake_delivery()

    def _body(self, texts: Texts, plain: PlainMessage) -> str:
        parts = [texts("unreachable.mail_intro"), "", plain.title, *plain.lines]
        if plain.links:
            parts += ["", *(f"{title}: {url}" for title, url in plain.links)]
        if plain.actions:
            parts += ["", texts("unreachable.mail_actions", actions=", ".join(plain.actions))]
        parts += ["", texts("unreachable.mail_link", link=self._link)]
        return "\n".join(parts) + "\n"

    async def _deciders(
        self, session: AsyncSession, payload: dict[str, Any], person: PersonRow
    ) -> list[PersonRow]:
        """The channel's manager; the administrators when there is none to tell."""
        channel = await self._channel_of(session, payload)
        if channel is not None and channel.manager_person_id not in (None, person.id):
            manager = await session.get(PersonRow, channel.manager_person_id)
            if manager is not None:
                return [manager]
        # Issue 15: the admins of the channel's administration (or of the person's
        # organisation), never those of another organisation.
        admins = admins_for(self._s, person.tenant_id, channel)
        if not admins:
            return []
        rows = await session.scalars(
            select(PersonRow)
            .where(PersonRow.tenant_id == person.tenant_id)
            .where(PersonRow.aad_object_id.in_(admins))
            .where(PersonRow.id != person.id)
            .order_by(PersonRow.id)
        )
        return list(rows)

    async def _channel_of(
        self, session: AsyncSession, payload: dict[str, Any]
    ) -> ChannelRow | None:
        track = payload.get("track")
        if not isinstance(track, dict) or not isinstance(track.get("subject_id"), int):
            return None
        subject_type, subject_id = track.get("subject_type"), track["subject_id"]
        if subject_type == "channel":
            return await session.get(ChannelRow, subject_id)
        if subject_type in _SUBJECT_CHANNEL:
            model, column = _SUBJECT_CHANNEL[subject_type]
            row = await session.get(model, subject_id)
            if row is not None:
                return await session.get(ChannelRow, getattr(row, column))
        return None

    async def _tell(
        self,
        session: AsyncSession,
        recipient: PersonRow,
        person: PersonRow,
        plain: PlainMessage,
        emailed: bool,
        outbox_id: int,
        now: datetime,
    ) -> bool:
        texts = texts_for(recipient)
        name = person_name(texts, person)
        how = (
            texts("unreachable.told_emailed", email=person.email)
            if emailed
            else texts("unreachable.told_no_email")
        )
        text = texts("unreachable.told", name=name, title=_short(plain.title, 200), how=how)
        # A plain text without buttons: if this one cannot be delivered either, its own
        # fallback is an e-mail, never another notice.
        return await enqueue_once(
            session,
            kind=OutboxKind.TEAMS_MESSAGE,
            payload={"activity": {"type": "message", "text": text}},
            now=now,
            dedupe_key=f"unreachable-told:{outbox_id}:{recipient.id}",
            tenant_id=recipient.tenant_id,
            recipient_person_id=recipient.id,
        )


def _short(text: str, limit: int) -> str:
    text = " ".join(text.replace("*", "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def bot_link(app_id: str, fallback: str) -> str:
    """A link that opens the chat with the bot in Teams (its app id), or the bot's own URL."""
    if app_id:
        return f"https://teams.microsoft.com/l/chat/0/0?users=28:{app_id}"
    return fallback
