"""The public list of channels (R8): the active channels' public fields, and the filter choices.

The query selects the public columns by name, never the row, so nothing else (editors,
requester, manager, login reference) is even read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from domain.lifecycle import ChannelStatus
from domain.registry import PublicChannel, RegistryFilter, in_registry_order, swedish_key
from storage.models import ChannelRow
from storage.organisations import Administrations, in_scope

# R8: the registration notice makes a channel active; the public list shows active channels.
PUBLIC_STATUS = ChannelStatus.ACTIVE.value


@dataclass(frozen=True)
class RegistryChoices:
    """The units and platforms that occur in the public list, for the filter's options."""

    units: tuple[str, ...]
    platforms: tuple[str, ...]


async def public_channels(
    session: AsyncSession,
    names: str | Mapping[str, str],
    wanted: RegistryFilter | None = None,
    *,
    organisation: str | None = None,
    administration: Administrations = None,
) -> list[PublicChannel]:
    """Returns the active channels' public fields, filtered, in registry order (by value).

    `names` is the responsible administration's name: one for every row, or by the slug of
    the row's administration (a slug it lacks is shown as is).
    """
    statement = select(
        ChannelRow.platform,
        ChannelRow.name,
        ChannelRow.address,
        ChannelRow.unit,
        ChannelRow.start_date,
        ChannelRow.administration,
    ).where(ChannelRow.status == PUBLIC_STATUS)
    statement = in_scope(statement, organisation=organisation, administration=administration)
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
            administration=names if isinstance(names, str) else names.get(slug, slug),
            start_date=start_date,
        )
        for platform, name, address, unit, start_date, slug in rows
    )


async def registry_choices(
    session: AsyncSession,
    *,
    organisation: str | None = None,
    administration: Administrations = None,
) -> RegistryChoices:
    """Returns the distinct units (Swedish order) and platforms (by value) of active channels."""

    def public(column: InstrumentedAttribute[str]) -> Select[str]:
        statement = select(column).where(ChannelRow.status == PUBLIC_STATUS).distinct()
        return in_scope(statement, organisation=organisation, administration=administration)

    units = await session.scalars(public(ChannelRow.unit))
    platforms = await session.scalars(public(ChannelRow.platform))
    return RegistryChoices(
        units=tuple(sorted(units, key=lambda u: (swedish_key(u), u))),
        platforms=tuple(sorted(platforms)),
    )


async def public_counts(session: AsyncSession) -> dict[str, int]:
    """Returns how many active channels each organisation (by slug) has in the public list."""
    rows = await session.execute(
        select(ChannelRow.organisation, func.count())
        .where(ChannelRow.status == PUBLIC_STATUS)
        .group_by(ChannelRow.organisation)
    )
    return {organisation: int(count) for organisation, count in rows}
