"""`kanalkollen organisations check | move`: the organisation files and the data they describe.

`check` reads the organisations as start-up does (KANALKOLLEN_ORGANISATIONS, else the single
policy) and compares them with the database: each organisation's tenants and administrations
with their channels, and what start-up would refuse. Exit 0 when start-up would accept both.

`move FROM TO` moves channels from one organisation (`slug`) or administration
(`slug/administration`) to another: the data of a single-policy deployment (organisation
`default`) into the organisation file that now describes it, or channels from one förvaltning
to another. It refuses a target that no file names, an administration the target does not
have, and channels of a tenant the target organisation does not serve: a move never hands one
tenant's channels to another tenant's organisation (issue 15). A whole organisation's move
takes its communications conversation (R7) along. `--dry-run` only reports.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.settings import Settings
from dialogs.communications_setting import COMMUNICATIONS_SETTING, communications_setting
from domain.clock import SystemClock
from domain.organisations import DEFAULT_SLUG, Organisation, OrganisationError, Organisations
from storage.audit import record_event
from storage.channels import get_setting, set_setting
from storage.db import create_engine, session_factory
from storage.migrate import upgrade_head
from storage.organisations import channel_counts, channels_to_move, move_channels


class MoveRefused(ValueError):
    """A move that would lose channels from sight or cross tenants; says why."""


def split_place(raw: str) -> tuple[str, str | None]:
    """`slug` or `slug/administration`."""
    organisation, _, administration = raw.strip().partition("/")
    if not organisation or "/" in administration:
        raise MoveRefused(f"{raw!r}: give an organisation slug, or slug/administration")
    return organisation, administration or None


async def check(settings: Settings, organisations: Organisations) -> int:
    """Prints the organisations and their channels; 1 when start-up would refuse the data."""
    from bot.assembly import check_organisations_in_use

    engine = create_engine(settings.database_url)
    try:
        await upgrade_head(engine)
        sessions = session_factory(engine)
        async with sessions() as session:
            counts_of = {o.slug: await channel_counts(session, o.slug) for o in organisations}
        for organisation in organisations:
            counts = counts_of[organisation.slug]
            tenants = ", ".join(sorted(organisation.tenant_ids)) or "every tenant"
            print(f"{organisation.slug}: {organisation.name} ({tenants})")
            for administration in organisation.administrations:
                statuses = counts.get(administration.slug, {})
                summary = ", ".join(f"{n} {s}" for s, n in sorted(statuses.items()))
                print(
                    f"  {administration.slug}: {administration.name}: {summary or 'no channels'}"
                )
        try:
            await check_organisations_in_use(sessions, organisations)
        except OrganisationError as error:
            print(f"kanalkollen: start-up would refuse: {error}", file=sys.stderr)
            return 1
    finally:
        await engine.dispose()
    print("start-up accepts these organisations and the data.")
    return 0


async def move(
    settings: Settings,
    organisations: Organisations,
    source: str,
    target: str,
    *,
    channel_ids: Sequence[int] | None = None,
    dry_run: bool = False,
) -> int:
    """Moves the channels; prints what moved (or would). Exit 2 when the move is refused."""
    engine = create_engine(settings.database_url)
    try:
        await upgrade_head(engine)
        sessions = session_factory(engine)
        try:
            moved = await _move(sessions, organisations, source, target, channel_ids, dry_run)
        except MoveRefused as error:
            print(f"kanalkollen: {error}", file=sys.stderr)
            return 2
    finally:
        await engine.dispose()
    verb = "would move" if dry_run else "moved"
    print(f"{verb} {moved} channel(s) from {source} to {target}.")
    return 0


async def _move(
    sessions: async_sessionmaker[AsyncSession],
    organisations: Organisations,
    source: str,
    target: str,
    channel_ids: Sequence[int] | None,
    dry_run: bool,
) -> int:
    from_organisation, from_administration = split_place(source)
    to_slug, to_administration = split_place(target)
    destination = organisations.by_slug(to_slug)
    if destination is None:
        known = ", ".join(o.slug for o in organisations)
        raise MoveRefused(f"no organisation file names {to_slug!r} (known: {known})")
    if to_administration is not None and destination.administration(to_administration) is None:
        raise MoveRefused(_unknown_administration(destination, to_administration))
    ids = list(channel_ids) if channel_ids else None
    async with sessions.begin() as session:
        found = await channels_to_move(
            session, from_organisation, administration=from_administration, channel_ids=ids
        )
        if not found:
            raise MoveRefused(f"no channels of {source} to move")
        for (administration, tenant), count in sorted(found.items(), key=str):
            if not destination.serves(tenant):
                raise MoveRefused(
                    f"{count} channel(s) of {source} belong to tenant {tenant}, which "
                    f"organisation {to_slug!r} does not serve"
                )
            kept = to_administration or administration
            if destination.administration(kept) is None:
                raise MoveRefused(
                    _unknown_administration(destination, kept)
                    + f"; give {to_slug}/<administration>"
                )
        if dry_run:
            return sum(found.values())
        moved = await move_channels(
            session,
            from_organisation,
            to_slug,
            administration=from_administration,
            to_administration=to_administration,
            channel_ids=ids,
        )
        now = SystemClock().now()
        if from_administration is None and ids is None:
            await _carry_communications(session, from_organisation, to_slug, now)
        record_event(
            session,
            at=now,
            action="channels.moved",
            subject_type="organisation",
            subject_id=to_slug,
            actor="cli",
            details={"from": source, "to": target, "channels": moved, "ids": ids},
        )
    return moved


async def _carry_communications(
    session: AsyncSession, source: str, target: str, now: datetime
) -> None:
    """R7: the communications conversation a moved organisation had picked goes with it
    (from before organisations, the key without a slug), unless the target has its own."""
    if await get_setting(session, communications_setting(target)):
        return
    picked = await get_setting(session, communications_setting(source))
    if not picked and source == DEFAULT_SLUG:
        picked = await get_setting(session, COMMUNICATIONS_SETTING)
    if picked:
        await set_setting(
            session, communications_setting(target), picked, by_person_id=None, now=now
        )


def _unknown_administration(organisation: Organisation, slug: str) -> str:
    known = ", ".join(a.slug for a in organisation.administrations)
    return f"organisation {organisation.slug!r} has no administration {slug!r} (known: {known})"
