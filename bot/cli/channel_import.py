"""`kanalkollen channels import FILE.csv`: the channels a city had before Kanalkollen (R8, R12).

People are matched to directory users through Graph when it is configured; otherwise they are
kept by e-mail and linked to their Teams identity when they first talk to the bot. Importing
the same file again changes nothing: a channel is known by its platform and address.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialogs.services import Directory
from domain.channel_import import ImportRow
from domain.lifecycle import ChannelStatus
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
) -> ImportReport:
    """Creates the active channels of valid rows in one transaction (nothing on a dry run)."""
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
