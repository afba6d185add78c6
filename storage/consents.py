"""The consent register (R9, R10), the checks that rely on it and the removal tasks (R11)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from domain.lifecycle import ChannelStatus
from storage.channels import EditorStatus
from storage.models import (
    POST_PENDING,
    ChannelEditorRow,
    ChannelRow,
    ConsentCheckConsentRow,
    ConsentCheckRow,
    ConsentRow,
    RemovalTaskRow,
)
from storage.organisations import (
    Administrations,
    Scopes,
    channel_ids_in,
    channel_ids_within,
    in_scope,
    is_scoped,
    within,
)

ACTIVE = "active"
WITHDRAWN = "withdrawn"


class TaskStatus:
    """Where a removal task is (R11: capture first, then remove)."""

    OPEN = "open"
    CAPTURED = "captured"
    DONE = "done"


def _accepted_editor_of(person_id: int) -> object:
    return select(ChannelEditorRow.channel_id).where(
        ChannelEditorRow.person_id == person_id,
        ChannelEditorRow.status == EditorStatus.ACCEPTED,
    )


async def editable_channels(
    session: AsyncSession,
    person_id: int,
    *,
    organisation: str | None = None,
    administration: Administrations = None,
) -> list[ChannelRow]:
    """Active channels where the person is an accepted editor (who run consent checks)."""
    statement = (
        select(ChannelRow)
        .where(ChannelRow.status == ChannelStatus.ACTIVE.value)
        .where(ChannelRow.id.in_(_accepted_editor_of(person_id)))  # type: ignore[arg-type]
        .order_by(ChannelRow.name, ChannelRow.id)
    )
    rows = await session.scalars(
        in_scope(statement, organisation=organisation, administration=administration)
    )
    return list(rows)


async def visible_channels(
    session: AsyncSession,
    person_id: int,
    *,
    organisation: str | None = None,
    administration: Administrations = None,
) -> list[ChannelRow]:
    """Channels whose consents the person may see: accepted editor or the manager."""
    statement = (
        select(ChannelRow)
        .where(
            or_(
                ChannelRow.manager_person_id == person_id,
                ChannelRow.id.in_(_accepted_editor_of(person_id)),  # type: ignore[arg-type]
            )
        )
        .order_by(ChannelRow.name, ChannelRow.id)
    )
    rows = await session.scalars(
        in_scope(statement, organisation=organisation, administration=administration)
    )
    return list(rows)


async def may_see_channel(
    session: AsyncSession,
    person_id: int,
    channel_id: int,
    *,
    organisation: str | None = None,
    administration: Administrations = None,
) -> bool:
    """Tells whether the person is an accepted editor or the manager of the channel."""
    visible = await visible_channels(
        session, person_id, organisation=organisation, administration=administration
    )
    return any(c.id == channel_id for c in visible)


async def consents_of(
    session: AsyncSession,
    channel_ids: Sequence[int],
    *,
    status: str | None = None,
    limit: int | None = None,
) -> list[ConsentRow]:
    """The consents of some channels, newest first."""
    if not channel_ids:
        return []
    query = (
        select(ConsentRow)
        .where(ConsentRow.channel_id.in_(channel_ids))
        .order_by(ConsentRow.recorded_at.desc(), ConsentRow.id.desc())
    )
    if status is not None:
        query = query.where(ConsentRow.status == status)
    if limit is not None:
        query = query.limit(limit)
    return list(await session.scalars(query))


async def count_consents(session: AsyncSession, channel_ids: Sequence[int]) -> int:
    """How many consents the channels have."""
    if not channel_ids:
        return 0
    total = await session.scalar(
        select(func.count()).select_from(ConsentRow).where(ConsentRow.channel_id.in_(channel_ids))
    )
    return int(total or 0)


async def checks_relying_on(session: AsyncSession, consent_id: int) -> list[ConsentCheckRow]:
    """The published checks (posts) that rely on a consent."""
    rows = await session.scalars(
        select(ConsentCheckRow)
        .join(ConsentCheckConsentRow, ConsentCheckConsentRow.check_id == ConsentCheckRow.id)
        .where(ConsentCheckConsentRow.consent_id == consent_id)
        .order_by(ConsentCheckRow.id)
    )
    return list(rows)


async def posts_by_consent(
    session: AsyncSession, consent_ids: Sequence[int]
) -> dict[int, list[str]]:
    """The recorded post addresses of each consent."""
    if not consent_ids:
        return {}
    rows = await session.execute(
        select(ConsentCheckConsentRow.consent_id, ConsentCheckRow.post_address)
        .join(ConsentCheckRow, ConsentCheckRow.id == ConsentCheckConsentRow.check_id)
        .where(ConsentCheckConsentRow.consent_id.in_(consent_ids))
        .order_by(ConsentCheckRow.id)
    )
    found: dict[int, list[str]] = defaultdict(list)
    for consent_id, address in rows:
        if address:
            found[consent_id].append(address)
    return dict(found)


async def open_removal_tasks(session: AsyncSession, channel_id: int) -> int:
    """How many removal tasks of a channel are not done (R11; closing waits for them)."""
    total = await session.scalar(
        select(func.count())
        .select_from(RemovalTaskRow)
        .where(RemovalTaskRow.channel_id == channel_id)
        .where(RemovalTaskRow.status != TaskStatus.DONE)
    )
    return int(total or 0)


async def posts_without_address(
    session: AsyncSession,
    checked_before: datetime,
    limit: int,
    *,
    organisation: str | None = None,
    administration: Administrations = None,
    scopes: Scopes | None = None,
) -> list[ConsentCheckRow]:
    """Published checks with consents whose post address was never given nor asked again.

    Driven by the partial index ix_consent_checks_post in (checked_at, id) order; the channel
    and the links are checked per candidate (EXISTS on their keys), so the scan stops at the
    limit whatever the register's size.
    """
    relies = (
        select(ConsentCheckConsentRow.check_id)
        .where(ConsentCheckConsentRow.check_id == ConsentCheckRow.id)
        .exists()
    )
    live = within(
        in_scope(
            select(ChannelRow.id)
            .where(ChannelRow.id == ConsentCheckRow.channel_id)
            .where(ChannelRow.status == ChannelStatus.ACTIVE.value),
            organisation=organisation,
            administration=administration,
        ),
        scopes,
    ).exists()
    rows = await session.scalars(
        select(ConsentCheckRow)
        # The partial index's own predicate, as literal SQL: SQLite uses a partial index only
        # when the query's terms match it, and a bound parameter never does.
        .where(text(f"consent_checks.{POST_PENDING.replace(' AND ', ' AND consent_checks.')}"))
        .where(ConsentCheckRow.checked_at <= checked_before)
        .where(relies)
        .where(live)
        .order_by(ConsentCheckRow.checked_at, ConsentCheckRow.id)
        .limit(limit)
    )
    return list(rows)


async def tasks_needing_attention(
    session: AsyncSession,
    *,
    remind_before: datetime,
    limit: int,
    organisation: str | None = None,
    administration: Administrations = None,
    scopes: Scopes | None = None,
) -> list[RemovalTaskRow]:
    """Removal tasks not done whose last reminder (or creation) is older than the limit."""
    last = func.coalesce(RemovalTaskRow.last_reminded_at, RemovalTaskRow.created_at)
    statement = (
        select(RemovalTaskRow)
        .where(RemovalTaskRow.status != TaskStatus.DONE)
        .where(last <= remind_before)
        .order_by(RemovalTaskRow.created_at, RemovalTaskRow.id)
        .limit(limit)
    )
    if is_scoped(organisation, administration):
        scope = channel_ids_in(organisation, administration)
        statement = statement.where(RemovalTaskRow.channel_id.in_(scope))
    if scopes is not None:
        statement = statement.where(RemovalTaskRow.channel_id.in_(channel_ids_within(scopes)))
    rows = await session.scalars(statement)
    return list(rows)
