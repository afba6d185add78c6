"""The public list of channels (R8): the active channels' public fields, and the filter choices.

The query selects the public columns by name, never the row, so nothing else (editors,
requester, manager, login reference) is even read.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.lifecycle import ChannelStatus
from domain.registry import PublicChannel, RegistryFilter, in_registry_order, swedish_key
from storage.models import ChannelRow

# R8: the registration notice makes a channel active; the public list shows active channels.
PUBLIC_STATUS = ChannelStatus.ACTIVE.value


@dataclass(frozen=True)
class RegistryChoices:
    """The units and platforms that occur in the public list, for the filter's options."""

    units: tuple[str, ...]
    platforms: tuple[str, ...]


async def public_channels(
    session: AsyncSession, administration: str, wanted: RegistryFilter | None = None
) -> list[PublicChannel]:
    """Returns the active channels' public fields, filtered, in registry order (by value)."""
    statement = select(
        ChannelRow.platform,
        ChannelRow.name,
        ChannelRow.address,
        ChannelRow.unit,
        ChannelRow.start_date,
    ).where(ChannelRow.status == PUBLIC_STATUS)
    if wanted is not None and wanted.unit is not None:
        statement = statement.where(ChannelRow.unit == wanted.unit)
    if wanted is not None and wanted.platform is not None:
        statement = statement.where(ChannelRow.platform == wanted.platform)
    rows = await session.execute(statement)
    return in_registry_order(
        PublicChannel(
            platform=platform,
            name=name,
            address=address or "",
            unit=unit,
            administration=administration,
            start_date=start_date,
        )
        for platform, name, address, unit, start_date in rows
    )


async def registry_choices(session: AsyncSession) -> RegistryChoices:
    """Returns the distinct units (Swedish order) and platforms (by value) of active channels."""
    units = await session.scalars(
        select(ChannelRow.unit).where(ChannelRow.status == PUBLIC_STATUS).distinct()
    )
    platforms = await session.scalars(
        select(ChannelRow.platform).where(ChannelRow.status == PUBLIC_STATUS).distinct()
    )
    return RegistryChoices(
        units=tuple(sorted(units, key=lambda u: (swedish_key(u), u))),
        platforms=tuple(sorted(platforms)),
    )
