"""The channels whose half-yearly documentation is coming up or overdue (R12)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from domain.lifecycle import ChannelStatus
from storage.models import ChannelRow


@dataclass(frozen=True)
class DueChannel:
    """What the reminder sweep needs of a due channel (plain columns: no ORM objects)."""

    id: int
    next_documentation_due: date
    name: str
    platform: str
    unit: str
    manager_person_id: int | None


async def channels_due_by(
    session: AsyncSession,
    horizon: date,
    *,
    limit: int | None = None,
    after: tuple[date, int] | None = None,
) -> Sequence[DueChannel]:
    """Active channels due on or before `horizon`, earliest first (the status+due index).

    `after` continues from the (due date, id) of the last row of a previous page.
    """
    statement = (
        select(
            ChannelRow.id,
            ChannelRow.next_documentation_due,
            ChannelRow.name,
            ChannelRow.platform,
            ChannelRow.unit,
            ChannelRow.manager_person_id,
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
    rows = await session.execute(statement)
    return [
        DueChannel(id_, due, name, platform, unit, manager)
        for id_, due, name, platform, unit, manager in rows
        if due is not None  # the WHERE clause excludes NULL; this tells the type checker
    ]
