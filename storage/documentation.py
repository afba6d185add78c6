"""The channels whose half-yearly documentation is coming up or overdue (R12)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.lifecycle import ChannelStatus
from storage.models import ChannelRow


async def channels_due_by(
    session: AsyncSession, horizon: date, *, limit: int | None = None
) -> Sequence[ChannelRow]:
    """Active channels due on or before `horizon`, earliest first (uses the status+due index)."""
    statement = (
        select(ChannelRow)
        .where(ChannelRow.status == ChannelStatus.ACTIVE.value)
        .where(ChannelRow.next_documentation_due <= horizon)
        .order_by(ChannelRow.next_documentation_due, ChannelRow.id)
    )
    if limit is not None:
        statement = statement.limit(limit)
    return (await session.scalars(statement)).all()
