"""`kanalkollen channels import FILE.csv`: the channels a city had before Kanalkollen (R8, R12).

People are matched to directory users through Graph when it is configured; otherwise they are
kept by e-mail and linked to their Teams identity when they first talk to the bot. Importing
the same file again changes nothing: a channel is known by its platform and address.

The channels belong to one organisation and one of its administrations (`--organisation`,
`--administration`); without them, to the deployment's only organisation and its only
administration ("default" for the single policy file, as before organisations).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialogs.services import Directory
from domain.channel_import import ImportRow
from domain.lifecycle import ChannelStatus
from domain.organisations import DEFAULT_SLUG, Administration, Organisation, Organisations
from domain.policy import Policy
from storage.audit import record_event
from storage.channels import EditorStatus, nominate
from storage.models import ChannelRow, PersonRow
from storage.people import ensure_person, person_by_email


@dataclass(frozen=True)
class ImportReport:
    """What an import did (or, in a dry run, would do)."""

    imported: tuple[int, ...]  # the file's lines that became channels
    unchanged: tuple[int, ...]  # lines whose channel was already there


class ImportTargetError(ValueError):
    """The organisation or administration to import into is unknown or not named."""


def import_target(
    organisations: Organisations, organisation: str | None, administration: str | None
) -> tuple[Organisation, Administration]:
    """The organisation and administration the imported channels are stamped with.

    Without a slug: the only organisation, and the organisation's only administration.
    """
    if organisation is None:
        chosen = organisations.default
        if chosen is None:
            raise ImportTargetError(
                f"there are several organisations; give --organisation ({_slugs(organisations)})"
            )
    else:
        found = organisations.by_slug(organisation)
        if found is None:
            raise ImportTargetError(
                f"no organisation has the slug {organisation!r}; known: {_slugs(organisations)}"
            )
        chosen = found
    if administration is None:
        only = chosen.default_administration
        if only is None:
            raise ImportTargetError(
                f"organisation {chosen.slug!r} has several administrations; give "
                f"--administration ({_slugs(chosen.administrations)})"
            )
        return chosen, only
    named = chosen.administration(administration)
    if named is None:
        raise ImportTargetError(
            f"organisation {chosen.slug!r} has no administration {administration!r}; "
            f"known: {_slugs(chosen.administrations)}"
        )
    return chosen, named


def _slugs(items: Organisations | tuple[Administration, ...]) -> str:
    return ", ".join(item.slug for item in items)


async def _person(
    session: AsyncSession, directory: Directory, tenant_id: str, email: str, now: datetime
) -> PersonRow:
    """The person behind an e-mail or UPN: from the directory, the database, or new."""
    found = await directory.person(tenant_id, email)
    if found is not None:
        return await ensure_person(
            session,
            tenant_id,
            found.aad_object_id,
            now,
            name=found.name,
            email=found.email or email,
        )
    known = await person_by_email(session, tenant_id, email)
    if known is not None:
        return known
    person = PersonRow(
        tenant_id=tenant_id, aad_object_id=None, email=email, created_at=now, updated_at=now
    )
    session.add(person)
    await session.flush()
    return person


async def _existing(session: AsyncSession, row: ImportRow) -> int | None:
    return await session.scalar(
        select(ChannelRow.id)
        .where(ChannelRow.platform == row.platform.value)
        .where(func.lower(func.rtrim(ChannelRow.address, "/")) == row.address.lower().rstrip("/"))
        .limit(1)
    )


async def import_channels(
    sessions: async_sessionmaker[AsyncSession],
    policy: Policy,
    directory: Directory,
    tenant_id: str,
    rows: list[ImportRow],
    now: datetime,
    *,
    dry_run: bool,
    organisation: str = DEFAULT_SLUG,
    administration: str = DEFAULT_SLUG,
) -> ImportReport:
    """Creates the active channels of valid rows in one transaction (nothing on a dry run).

    `policy` is the administration's (its documentation interval sets the first due date).
    """
    imported: list[int] = []
    unchanged: list[int] = []
    async with sessions.begin() as session:
        for row in rows:
            if await _existing(session, row) is not None:
                unchanged.append(row.line)
                continue
            imported.append(row.line)
            if dry_run:
                continue
            manager = await _person(session, directory, tenant_id, row.manager, now)
            channel = ChannelRow(
                tenant_id=tenant_id,
                organisation=organisation,
                administration=administration,
                status=ChannelStatus.ACTIVE.value,
                version=1,
                platform=row.platform.value,
                name=row.name,
                unit=row.unit,
                purpose="",
                plan={},
                login_reference="",
                requester_person_id=None,
                source="import",
                manager_person_id=manager.id,
                manager_source="import",
                address=row.address,
                start_date=row.start_date,
                next_documentation_due=row.next_documentation_due(
                    policy.channels.documentation_interval_months
                ),
                created_at=now,
                updated_at=now,
            )
            session.add(channel)
            await session.flush()
            for email in row.editors:
                editor = await _person(session, directory, tenant_id, email, now)
                await nominate(
                    session,
                    channel.id,
                    editor.id,
                    by_person_id=None,
                    now=now,
                    status=EditorStatus.ACCEPTED,
                )
            record_event(
                session,
                at=now,
                action="channel.imported",
                subject_type="channel",
                subject_id=channel.id,
                details={"line": row.line, "address": row.address},
            )
    return ImportReport(tuple(imported), tuple(unchanged))
