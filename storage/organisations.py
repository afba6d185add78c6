"""Organisations in the data: scoping channel queries, counts per administration, moves.

A channel carries its organisation's and its administration's slug; everything else of a
channel (editors, consents, checks, removal tasks, documentation, captures) is scoped through
its channel. `organisation=None` means every organisation: the behaviour from before
organisations, for single-organisation deployments and the operator's own tools.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import TypeVarTuple

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ChannelRow

_Ts = TypeVarTuple("_Ts")

# One administration's slug, several (an admin of some administrations), or None (all).
Administrations = str | Collection[str] | None
# Some administrations of several organisations: organisation slug -> its administrations'
# slugs, or None for all of them. A sweep selects one group of administrations that share a
# policy value (e.g. the days before a reminder) at a time.
Scopes = Mapping[str, Collection[str] | None]


def in_scope(
    statement: Select[*_Ts],
    *,
    organisation: str | None,
    administration: Administrations = None,
) -> Select[*_Ts]:
    """Limits a statement that selects from channels to an organisation and administrations.

    An administration filter without an organisation is refused: administration slugs are
    only unique inside their organisation.
    """
    if organisation is None:
        if administration is not None:
            raise ValueError("an administration filter needs its organisation")
        return statement
    statement = statement.where(ChannelRow.organisation == organisation)
    if administration is None:
        return statement
    if isinstance(administration, str):
        return statement.where(ChannelRow.administration == administration)
    return statement.where(ChannelRow.administration.in_(sorted(administration)))


def channel_ids_in(
    organisation: str | None, administration: Administrations = None
) -> Select[int]:
    """The ids of the channels in scope, for rows that belong to a channel (`IN (...)`)."""
    return in_scope(
        select(ChannelRow.id), organisation=organisation, administration=administration
    )


def within(statement: Select[*_Ts], scopes: Scopes | None) -> Select[*_Ts]:
    """Limits a statement that selects from channels to some administrations of several
    organisations (None: every channel; empty: none)."""
    if scopes is None:
        return statement
    whole = sorted(o for o, names in scopes.items() if names is None)
    clauses: list[ColumnElement[bool]] = [ChannelRow.organisation.in_(whole)] if whole else []
    for organisation, names in sorted(scopes.items()):
        if names is not None:
            clauses.append(
                and_(
                    ChannelRow.organisation == organisation,
                    ChannelRow.administration.in_(sorted(names)),
                )
            )
    return statement.where(or_(*clauses) if clauses else false())


def channel_ids_within(scopes: Scopes) -> Select[int]:
    """The ids of the channels of some administrations, for rows that belong to a channel."""
    return within(select(ChannelRow.id), scopes)


def is_scoped(organisation: str | None, administration: Administrations) -> bool:
    """Tells whether a filter narrows anything (None and None: every channel)."""
    return organisation is not None or administration is not None


async def channel_counts(
    session: AsyncSession, organisation: str, *, administration: Administrations = None
) -> dict[str, dict[str, int]]:
    """How many channels each administration of an organisation has, per status."""
    statement = in_scope(
        select(ChannelRow.administration, ChannelRow.status, func.count()).group_by(
            ChannelRow.administration, ChannelRow.status
        ),
        organisation=organisation,
        administration=administration,
    )
    counts: dict[str, dict[str, int]] = {}
    for slug, status, count in await session.execute(statement):
        counts.setdefault(slug, {})[status] = int(count)
    return counts


async def organisations_in_use(session: AsyncSession) -> dict[str, set[str]]:
    """The organisations that have channels, with the administrations they have channels in.

    Start-up compares this with the configuration: data of an organisation or administration
    that no file names would otherwise be invisible to everyone.
    """
    rows = await session.execute(
        select(ChannelRow.organisation, ChannelRow.administration).distinct()
    )
    found: dict[str, set[str]] = {}
    for organisation, administration in rows:
        found.setdefault(organisation, set()).add(administration)
    return found


def _moving(
    organisation: str, administration: str | None, channel_ids: Collection[int] | None
) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = [ChannelRow.organisation == organisation]
    if administration is not None:
        clauses.append(ChannelRow.administration == administration)
    if channel_ids is not None:
        clauses.append(ChannelRow.id.in_(sorted(channel_ids)))
    return clauses


async def channels_to_move(
    session: AsyncSession,
    organisation: str,
    *,
    administration: str | None = None,
    channel_ids: Collection[int] | None = None,
) -> dict[tuple[str, str | None], int]:
    """How many channels a move would take, per (administration, tenant id)."""
    rows = await session.execute(
        select(ChannelRow.administration, ChannelRow.tenant_id, func.count())
        .where(*_moving(organisation, administration, channel_ids))
        .group_by(ChannelRow.administration, ChannelRow.tenant_id)
    )
    return {(admin, tenant): int(count) for admin, tenant, count in rows}


async def move_channels(
    session: AsyncSession,
    organisation: str,
    to_organisation: str,
    *,
    administration: str | None = None,
    to_administration: str | None = None,
    channel_ids: Collection[int] | None = None,
) -> int:
    """Moves channels of an organisation (one administration, or some ids) to another
    organisation and, if given, administration (else each keeps its administration's slug)."""
    values: dict[str, str] = {"organisation": to_organisation}
    if to_administration is not None:
        values["administration"] = to_administration
    result = await session.execute(
        update(ChannelRow)
        .where(*_moving(organisation, administration, channel_ids))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
