"""Channels, their editors and the card copies posted about them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.lifecycle import ChannelStatus, transition
from storage.models import AppSettingRow, CardCopyRow, ChannelEditorRow, ChannelRow, PersonRow
from storage.organisations import Administrations, in_scope, is_scoped


class EditorStatus:
    """The answers an editor nomination can have (R3)."""

    NOMINATED = "nominated"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    REMOVED = "removed"


@dataclass(frozen=True)
class EditorEntry:
    """An editor nomination with the person behind it."""

    editor: ChannelEditorRow
    person: PersonRow


async def get_channel(
    session: AsyncSession,
    channel_id: int,
    *,
    organisation: str | None = None,
    administration: Administrations = None,
) -> ChannelRow | None:
    """Returns one channel; None when it is not in the organisation (and administrations).

    A card's or a command's channel id is a guess until this finds it in the actor's scope.
    """
    if not is_scoped(organisation, administration):
        return await session.get(ChannelRow, channel_id)
    statement = select(ChannelRow).where(ChannelRow.id == channel_id)
    found: ChannelRow | None = await session.scalar(
        in_scope(statement, organisation=organisation, administration=administration)
    )
    return found


async def change_status(
    session: AsyncSession,
    channel: ChannelRow,
    target: ChannelStatus,
    now: datetime,
    **values: Any,
) -> bool:
    """Moves a channel to a new status if nobody changed it since it was read.

    Compare-and-set on (status, version): a second click or a concurrent decision finds the
    row changed and gets False, on SQLite and PostgreSQL alike. Illegal transitions raise.
    """
    current = ChannelStatus(channel.status)
    transition(current, target)
    result = await session.execute(
        update(ChannelRow)
        .where(ChannelRow.id == channel.id)
        .where(ChannelRow.status == current.value)
        .where(ChannelRow.version == channel.version)
        .values(status=target.value, version=channel.version + 1, updated_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return False
    await session.refresh(channel)
    return True


async def editors_of(
    session: AsyncSession, channel_id: int, *, include_removed: bool = False
) -> list[EditorEntry]:
    """Returns a channel's editor nominations with their people, oldest first."""
    statement = (
        select(ChannelEditorRow, PersonRow)
        .join(PersonRow, PersonRow.id == ChannelEditorRow.person_id)
        .where(ChannelEditorRow.channel_id == channel_id)
        .order_by(ChannelEditorRow.id)
    )
    if not include_removed:
        statement = statement.where(ChannelEditorRow.status != EditorStatus.REMOVED)
    rows = await session.execute(statement)
    return [EditorEntry(editor, person) for editor, person in rows]


async def nominate(
    session: AsyncSession,
    channel_id: int,
    person_id: int,
    *,
    by_person_id: int | None,
    now: datetime,
    status: str = EditorStatus.NOMINATED,
) -> ChannelEditorRow:
    """Nominates a person as editor (again, if they declined or were removed before)."""
    row = await session.scalar(
        select(ChannelEditorRow)
        .where(ChannelEditorRow.channel_id == channel_id)
        .where(ChannelEditorRow.person_id == person_id)
    )
    if row is None:
        row = ChannelEditorRow(channel_id=channel_id, person_id=person_id, nominated_at=now)
        session.add(row)
    elif row.status == EditorStatus.ACCEPTED:
        return row
    row.status = status
    row.nominated_by_person_id = by_person_id
    row.nominated_at = now
    row.responded_at = now if status == EditorStatus.ACCEPTED else None
    await session.flush()
    return row


def accepted_count(entries: Sequence[EditorEntry]) -> int:
    """Counts the editors who accepted."""
    return sum(1 for e in entries if e.editor.status == EditorStatus.ACCEPTED)


async def channels_of_person(
    session: AsyncSession,
    person_id: int,
    *,
    organisation: str | None = None,
    administration: Administrations = None,
) -> list[ChannelRow]:
    """Returns the channels where a person is requester, manager or a current editor."""
    as_editor = select(ChannelEditorRow.channel_id).where(
        ChannelEditorRow.person_id == person_id,
        ChannelEditorRow.status.in_([EditorStatus.NOMINATED, EditorStatus.ACCEPTED]),
    )
    statement = (
        select(ChannelRow)
        .where(
            or_(
                ChannelRow.requester_person_id == person_id,
                ChannelRow.manager_person_id == person_id,
                ChannelRow.id.in_(as_editor),
            )
        )
        .order_by(ChannelRow.name, ChannelRow.id)
    )
    rows = await session.scalars(
        in_scope(statement, organisation=organisation, administration=administration)
    )
    return list(rows)


async def add_card_copy(
    session: AsyncSession,
    *,
    subject_type: str,
    subject_id: int,
    card: str,
    conversation_id: str,
    activity_id: str,
    person_id: int | None,
    locale: str | None,
    now: datetime,
) -> None:
    """Remembers where a card was posted (once per activity)."""
    exists = await session.scalar(
        select(CardCopyRow.id)
        .where(CardCopyRow.conversation_id == conversation_id)
        .where(CardCopyRow.activity_id == activity_id)
    )
    if exists is not None:
        await session.execute(
            update(CardCopyRow)
            .where(CardCopyRow.id == exists)
            .values(card=card, subject_type=subject_type, subject_id=subject_id)
        )
        return
    session.add(
        CardCopyRow(
            subject_type=subject_type,
            subject_id=subject_id,
            card=card,
            conversation_id=conversation_id,
            activity_id=activity_id,
            person_id=person_id,
            locale=locale,
            created_at=now,
        )
    )


async def card_copies(
    session: AsyncSession, subject_type: str, subject_id: int
) -> list[CardCopyRow]:
    """Returns every posted copy of the cards about a subject."""
    rows = await session.scalars(
        select(CardCopyRow)
        .where(CardCopyRow.subject_type == subject_type)
        .where(CardCopyRow.subject_id == subject_id)
        .order_by(CardCopyRow.id)
    )
    return list(rows)


async def get_setting(session: AsyncSession, key: str) -> str | None:
    """Returns a run-time setting chosen by an admin."""
    row = await session.get(AppSettingRow, key)
    return row.value if row else None


async def set_setting(
    session: AsyncSession, key: str, value: str, *, by_person_id: int | None, now: datetime
) -> None:
    """Stores a run-time setting."""
    row = await session.get(AppSettingRow, key)
    if row is None:
        row = AppSettingRow(key=key, value=value, updated_at=now)
        session.add(row)
    row.value = value
    row.updated_by_person_id = by_person_id
    row.updated_at = now
