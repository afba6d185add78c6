"""The channels whose half-yearly documentation is coming up or overdue (R12)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from domain.lifecycle import ChannelStatus
from domain.organisations import DEFAULT_SLUG
from storage.models import ChannelRow
from storage.organisations import Administrations, in_scope


@dataclass(frozen=True)
class DueChannel:
    """What the reminder sweep needs of a due channel (plain columns: no ORM objects)."""

    id: int
    next_documentation_due: date
    name: str
    platform: str
    unit: str
    manager_person_id: int | None
    # Whose policy (intervals, office hours) applies to the channel.
    organisation: str = DEFAULT_SLUG
    administration: str = DEFAULT_SLUG


async def channels_due_by(
    session: AsyncSession,
    horizon: date,
    *,
    limit: int | None = None,
    after: tuple[date, int] | None = None,
    organisation: str | None = None,
    administration: Administrations = None,
) -> Sequence[DueChannel]:
    """Active channels due on or before `horizon`, earliest first (the status+due index).

    `after` continues from the (due date, id) of the last row of a previous page. With an
    organisation (and an administration) it reads that one's index of due dates only.
    """
    statement = (
        select(
            ChannelRow.id,
            ChannelRow.next_documentation_due,
            ChannelRow.name,
            ChannelRow.platform,
            ChannelRow.unit,
            ChannelRow.manager_person_id,
            ChannelRow.organisation,
            ChannelRow.administration,
        )
        .where(ChannelRow.status == ChannelStatus.ACTIVE.value)
        .where(ChannelRow.next_documentation_due <= horizon)
        .order_by(ChannelRow.next_documentation_due, ChannelRow.id)
    )
    if after is not None:
        statement = statement.where(
            tuple_(ChannelRow.next_documentation_due, ChannelRow.id) > tuple_(*after)
        )
    if limit is not None:
        statement = statement.limit(limit)
    statement = in_scope(statement, organisation=organisation, administration=administration)
    rows = await session.execute(statement)
    return [
        DueChannel(id_, due, name, platform, unit, manager, org, admin)
        for id_, due, name, platform, unit, manager, org, admin in rows
        if due is not None  # the WHERE clause excludes NULL; this tells the type checker
    ]
