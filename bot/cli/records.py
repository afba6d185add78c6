"""`kanalkollen records export|check`: a channel's records packages again, and our checks.

`records export --channel ID [--round N] [--format eark-sip|zip] --out DIR` builds the
packages of a channel again from the stored files, for an archivist who asks later: every
documentation round (R12; `--round N` only the Nth, counted from the first), the closing (R13)
and the captures kept before a removal (R11). The format is the administration's
`records.package_format` unless `--format` says otherwise. Each package is written to DIR and
listed with its SHA-256 and size.

`records check PACKAGE...` runs our checks on packages (zip files or unpacked folders): every
file that a METS names is there with its SIZE and SHA-256, no other file is, and every METS is
valid against the METS schema (bot/documents/eark/check.py). Exit code 1 when one fails.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TextIO

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.documents.eark.check import check_package
from bot.documents.package_zip import sha256_of
from bot.documents.records_package import PackageRequest, write_stored_package
from bot.settings import Settings
from cards.i18n import Texts
from dialogs.channel_views import person_name
from dialogs.services import StoredUpload
from domain.dates import add_months
from domain.organisations import Organisations
from domain.policy import Policy
from storage.db import create_engine, session_factory
from storage.evidence import evidence_of
from storage.files import LocalFileStore
from storage.models import (
    ChannelClosingRow,
    ChannelRow,
    DeletionDecisionRow,
    DocumentationFileRow,
    DocumentationRoundRow,
    EvidenceFileRow,
    PersonRow,
    RemovalTaskRow,
)


@dataclass(frozen=True)
class _Planned:
    """One package to build again: its file name, what it holds, its files."""

    filename: str
    request: PackageRequest
    files: list[StoredUpload]


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _policy(organisations: Organisations, fallback: Policy, channel: ChannelRow) -> Policy:
    found = organisations.by_slug(channel.organisation)
    unit = found.administration(channel.administration) if found else None
    return unit.policy if unit is not None else fallback


def _request(
    channel: ChannelRow,
    policy: Policy,
    purpose: str,
    by: PersonRow | None,
    at: datetime,
    *,
    due: date | None = None,
    note: str | None = None,
    start_page: str | None = None,
    period_start: date | None = None,
) -> PackageRequest:
    sv = Texts("sv")
    return PackageRequest(
        purpose=purpose,
        channel_name=channel.name,
        platform=sv(f"platform.{channel.platform}"),
        unit=channel.unit,
        due=due or _aware(at).date(),
        completed_by=person_name(sv, by),
        completed_at=_aware(at),
        note=note,
        start_page=start_page,
        address=channel.address,
        period_start=period_start,
        administration=policy.registry.administration,
    )


def _evidence(rows: list[EvidenceFileRow]) -> list[StoredUpload]:
    return [StoredUpload(r.filename, r.content_type, r.file_key, r.sha256, r.size) for r in rows]


async def export_records(
    settings: Settings,
    organisations: Organisations,
    fallback: Policy,
    *,
    channel_id: int,
    round_number: int | None,
    package_format: str | None,
    out: Path,
    stdout: TextIO,
) -> int:
    """Writes the channel's packages to `out`; returns the exit code."""
    engine = create_engine(settings.database_url)
    try:
        async with session_factory(engine)() as session:
            channel = await session.get(ChannelRow, channel_id)
            if channel is None:
                print(f"kanalkollen: no channel has the id {channel_id}", file=stdout)
                return 2
            policy = _policy(organisations, fallback, channel)
            planned = await _plan(session, channel, policy, round_number)
    finally:
        await engine.dispose()
    if isinstance(planned, str):
        print(f"kanalkollen: {planned}", file=stdout)
        return 2
    records = policy.records
    if package_format is not None:
        records = dataclasses.replace(records, package_format=package_format)
    await asyncio.to_thread(out.mkdir, parents=True, exist_ok=True)
    store = LocalFileStore(settings.files_dir)
    for item in planned:
        # Issue 28: the stored files and the package go through files on disk, in chunks; the
        # package gets its name once it is whole.
        partial = out / f".{item.filename}.part"
        try:
            with tempfile.TemporaryDirectory(prefix="kanalkollen-export-") as folder:
                await write_stored_package(
                    store, item.request, item.files, records, target=partial, folder=Path(folder)
                )
            sha256 = await asyncio.to_thread(sha256_of, partial)
            size = partial.stat().st_size
            await asyncio.to_thread(os.replace, partial, out / item.filename)
        finally:
            partial.unlink(missing_ok=True)
        print(f"{item.filename}\t{sha256}\t{size}", file=stdout)
    if not planned:
        print(f"channel {channel_id} has no records packages yet", file=stdout)
    return 0


async def _plan(
    session: AsyncSession, channel: ChannelRow, policy: Policy, round_number: int | None
) -> list[_Planned] | str:
    """The packages to build, or why not."""
    rounds = list(
        await session.scalars(
            select(DocumentationRoundRow)
            .where(DocumentationRoundRow.channel_id == channel.id)
            .order_by(DocumentationRoundRow.completed_at, DocumentationRoundRow.id)
        )
    )
    numbered = list(enumerate(rounds, start=1))
    if round_number is not None:
        if not 1 <= round_number <= len(rounds):
            count = len(rounds)
            return f"channel {channel.id} has {count} documentation round(s), not {round_number}"
        numbered = [numbered[round_number - 1]]
    planned: list[_Planned] = []
    interval = policy.channels.documentation_interval_months
    for number, round_ in numbered:
        rows = list(
            await session.scalars(
                select(DocumentationFileRow)
                .where(DocumentationFileRow.round_id == round_.id)
                .order_by(DocumentationFileRow.id)
            )
        )
        files = [
            StoredUpload(r.filename, r.content_type, r.file_key, r.sha256, r.size) for r in rows
        ]
        start = next((r.filename for r in rows if r.start_page), None)
        by = await session.get(PersonRow, round_.completed_by_person_id or 0)
        planned.append(
            _Planned(
                f"documentation-{number}-{round_.due_date.isoformat()}.zip",
                _request(
                    channel,
                    policy,
                    "documentation",
                    by,
                    round_.completed_at,
                    due=round_.due_date,
                    note=round_.note,
                    start_page=start,
                    period_start=add_months(round_.due_date, -interval),
                ),
                files,
            )
        )
    if round_number is not None:
        return planned
    planned += await _closings(session, channel, policy)
    planned += await _captures(session, channel, policy)
    return planned


async def _closings(session: AsyncSession, channel: ChannelRow, policy: Policy) -> list[_Planned]:
    sv = Texts("sv")
    planned = []
    closings = await session.scalars(
        select(ChannelClosingRow)
        .where(ChannelClosingRow.channel_id == channel.id)
        .where(ChannelClosingRow.submitted_at.is_not(None))
        .order_by(ChannelClosingRow.id)
    )
    for closing in closings:
        assert closing.submitted_at is not None
        by = await session.get(PersonRow, closing.submitted_by_person_id or 0)
        note = sv(
            "closing.package_note",
            reference=closing.export_reference or "–",
            address=channel.address or "–",
        )
        at = _aware(closing.submitted_at)
        planned.append(
            _Planned(
                f"closing-{closing.id}-{at.date().isoformat()}.zip",
                _request(
                    channel,
                    policy,
                    "closing",
                    by,
                    at,
                    note=note,
                    period_start=_aware(channel.created_at).date(),
                ),
                _evidence(await evidence_of(session, "closing", closing.id)),
            )
        )
    return planned


async def _captures(session: AsyncSession, channel: ChannelRow, policy: Policy) -> list[_Planned]:
    sv = Texts("sv")
    subjects: list[tuple[str, int]] = [
        ("deletion", d.id)
        for d in await session.scalars(
            select(DeletionDecisionRow).where(DeletionDecisionRow.channel_id == channel.id)
        )
    ] + [
        ("removal_task", t.id)
        for t in await session.scalars(
            select(RemovalTaskRow).where(RemovalTaskRow.channel_id == channel.id)
        )
    ]
    planned = []
    for subject_type, subject_id in sorted(subjects):
        rows = await evidence_of(session, subject_type, subject_id, "capture")
        for row in rows:
            by = await session.get(PersonRow, row.uploaded_by_person_id or 0)
            at = _aware(row.uploaded_at)
            planned.append(
                _Planned(
                    f"capture-{subject_type}-{subject_id}-{row.id}.zip",
                    _request(
                        channel,
                        policy,
                        "capture",
                        by,
                        at,
                        note=sv(f"capture_package.note_{subject_type}"),
                    ),
                    _evidence([row]),
                )
            )
    return planned


def check_records(paths: list[Path], stdout: TextIO) -> int:
    """Runs our checks on each package; 0 when all are whole."""
    failed = False
    for path in paths:
        if not path.exists():
            print(f"{path}: no such file or folder", file=stdout)
            failed = True
            continue
        problems = check_package(path)
        if problems:
            failed = True
            print(f"{path}: {len(problems)} problem(s)", file=stdout)
            for problem in problems:
                print(f"  {problem}", file=stdout)
        else:
            print(
                f"{path}: ok (every file named in a METS with its size and SHA-256, "
                "nothing else, every METS valid)",
                file=stdout,
            )
    return 1 if failed else 0
