"""People and the conversation references that let the bot reach them proactively."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.audit import record_event
from storage.db import insert_unless_exists
from storage.models import ConversationReferenceRow, PersonRow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SeenPerson:
    """What an incoming Teams activity tells about its sender."""

    tenant_id: str
    aad_object_id: str
    teams_user_id: str | None
    name: str | None
    locale: str | None


@dataclass(frozen=True)
class SeenConversation:
    """What an incoming activity tells about the conversation it came from."""

    conversation_id: str
    conversation_type: str | None
    tenant_id: str | None
    service_url: str
    channel_id: str
    reference: dict[str, Any]


async def upsert_person(session: AsyncSession, seen: SeenPerson, now: datetime) -> PersonRow:
    """Creates or refreshes a person from what Teams said about them."""
    find = (
        select(PersonRow)
        .where(PersonRow.tenant_id == seen.tenant_id)
        .where(PersonRow.aad_object_id == seen.aad_object_id)
    )
    person = await session.scalar(find)
    if person is None:
        # A new person's first activities can arrive at once (install and first message, maybe
        # at two instances): only one of them creates the row, the others find it.
        await insert_unless_exists(
            session,
            PersonRow,
            {
                "tenant_id": seen.tenant_id,
                "aad_object_id": seen.aad_object_id,
                "created_at": now,
                "updated_at": now,
            },
            unique=["tenant_id", "aad_object_id"],
        )
        person = (await session.scalars(find)).one()
    person.teams_user_id = seen.teams_user_id or person.teams_user_id
    person.name = seen.name or person.name
    person.locale = seen.locale or person.locale
    person.updated_at = now
    # A person who writes to the bot can be reached again.
    person.undeliverable_at = None
    person.undeliverable_reason = None
    await session.flush()
    return person


async def upsert_conversation(
    session: AsyncSession, seen: SeenConversation, person_id: int | None, now: datetime
) -> ConversationReferenceRow:
    """Stores or refreshes where the bot can write to this conversation."""
    find = select(ConversationReferenceRow).where(
        ConversationReferenceRow.conversation_id == seen.conversation_id
    )
    row = await session.scalar(find)
    if row is None:
        # Two activities of a new conversation can arrive at once; only one inserts it.
        await insert_unless_exists(
            session,
            ConversationReferenceRow,
            {
                "conversation_id": seen.conversation_id,
                "service_url": seen.service_url,
                "channel_id": seen.channel_id,
                "reference": seen.reference,
                "updated_at": now,
            },
            unique=["conversation_id"],
        )
        row = (await session.scalars(find)).one()
    elif _claimed_by_another(row, seen, person_id):
        # A conversation belongs to one tenant, and a personal chat to one person: an activity
        # that says otherwise (a forged one, or a tenant's id reused) never redirects where
        # the bot writes to them (issue 15).
        log.warning(
            "conversation reference %s kept: an activity of another tenant or person named it",
            row.id,
        )
        return row
    row.conversation_type = seen.conversation_type
    row.tenant_id = seen.tenant_id
    # Only a personal chat identifies a person's own conversation.
    if seen.conversation_type == "personal" and person_id is not None:
        row.person_id = person_id
    row.service_url = seen.service_url
    row.channel_id = seen.channel_id
    row.reference = seen.reference
    row.updated_at = now
    await session.flush()
    return row


def _claimed_by_another(
    row: ConversationReferenceRow, seen: SeenConversation, person_id: int | None
) -> bool:
    if row.tenant_id and seen.tenant_id and row.tenant_id.lower() != seen.tenant_id.lower():
        return True
    personal = seen.conversation_type == "personal"
    return personal and person_id is not None and row.person_id not in (None, person_id)


async def personal_conversation(
    session: AsyncSession, person_id: int
) -> ConversationReferenceRow | None:
    """Returns the newest personal conversation reference of a person, if any."""
    return await session.scalar(
        select(ConversationReferenceRow)
        .where(ConversationReferenceRow.person_id == person_id)
        .where(ConversationReferenceRow.conversation_type == "personal")
        .order_by(ConversationReferenceRow.updated_at.desc())
        .limit(1)
    )


async def tenant_service_url(session: AsyncSession, tenant_id: str) -> str | None:
    """Returns the service URL Teams used most recently for a tenant."""
    return (await tenant_endpoint(session, tenant_id))[0]


async def tenant_endpoint(session: AsyncSession, tenant_id: str) -> tuple[str | None, str | None]:
    """The service URL Teams used most recently for a tenant, and the bot's id it addressed."""
    row = (
        await session.execute(
            select(ConversationReferenceRow.service_url, ConversationReferenceRow.reference)
            .where(ConversationReferenceRow.tenant_id == tenant_id)
            .order_by(ConversationReferenceRow.updated_at.desc())
            .limit(1)
        )
    ).first()
    if row is None:
        return None, None
    bot = row.reference.get("bot") if isinstance(row.reference, dict) else None
    bot_id = bot.get("id") if isinstance(bot, dict) else None
    return row.service_url, bot_id if isinstance(bot_id, str) and bot_id else None


async def mark_undeliverable(
    session: AsyncSession, person_id: int, reason: str, now: datetime
) -> None:
    """Records that Teams refused delivery to a person (bot blocked or removed)."""
    person = await session.get(PersonRow, person_id)
    if person is None:
        return
    person.undeliverable_at = now
    person.undeliverable_reason = reason[:256]
    record_event(
        session,
        at=now,
        action="person.undeliverable",
        subject_type="person",
        subject_id=person_id,
        details={"reason": reason[:256]},
    )


async def forget_conversation(session: AsyncSession, conversation_id: str) -> None:
    """Drops a conversation reference that Teams no longer knows."""
    row = await session.scalar(
        select(ConversationReferenceRow).where(
            ConversationReferenceRow.conversation_id == conversation_id
        )
    )
    if row is not None:
        await session.delete(row)


async def ensure_person(
    session: AsyncSession,
    tenant_id: str,
    aad_object_id: str,
    now: datetime,
    *,
    name: str | None = None,
    email: str | None = None,
) -> PersonRow:
    """Returns the person with this AAD object id, creating them if the bot never met them.

    People picked in a form or found in the directory may never have written to the bot;
    they are kept by tenant and AAD object id until they do.
    """
    person = await session.scalar(
        select(PersonRow)
        .where(PersonRow.tenant_id == tenant_id)
        .where(PersonRow.aad_object_id == aad_object_id)
    )
    if person is None:
        await insert_unless_exists(
            session,
            PersonRow,
            {
                "tenant_id": tenant_id,
                "aad_object_id": aad_object_id,
                "created_at": now,
                "updated_at": now,
            },
            unique=["tenant_id", "aad_object_id"],
        )
        person = (
            await session.scalars(
                select(PersonRow)
                .where(PersonRow.tenant_id == tenant_id)
                .where(PersonRow.aad_object_id == aad_object_id)
            )
        ).one()
    if name and not person.name:
        person.name = name
    if email and not person.email:
        person.email = email
    await session.flush()
    return person


async def person_by_email(session: AsyncSession, tenant_id: str, email: str) -> PersonRow | None:
    """Returns the person with this e-mail (any case) in a tenant, if the bot knows one."""
    return await session.scalar(
        select(PersonRow)
        .where(PersonRow.tenant_id == tenant_id)
        .where(func.lower(PersonRow.email) == email.strip().lower())
        .order_by(PersonRow.id)
        .limit(1)
    )


async def link_by_email(
    session: AsyncSession, tenant_id: str, email: str, aad_object_id: str, now: datetime
) -> bool:
    """Gives a person known only by e-mail (imported) their AAD object id on first contact."""
    person = await session.scalar(
        select(PersonRow)
        .where(PersonRow.tenant_id == tenant_id)
        .where(func.lower(PersonRow.email) == email.strip().lower())
        .where(PersonRow.aad_object_id.is_(None))
        .limit(1)
    )
    if person is None:
        return False
    person.aad_object_id = aad_object_id
    person.updated_at = now
    await session.flush()
    return True
