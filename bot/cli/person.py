"""`kanalkollen person export|erase ID [--organisation SLUG]`: a person's personal data.

Issue 15: with several organisations, a request is for one of them. `--organisation` finds only
the people of its tenants and the consents of its channels; an id that names people of several
organisations is refused without it, naming them, rather than mixing their data.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from bot.assembly import opened_file_store
from bot.settings import Settings
from domain.clock import SystemClock
from domain.organisations import Organisations
from storage.audit import record_event
from storage.db import create_engine, session_factory
from storage.files import FileStore
from storage.migrate import upgrade_head
from storage.personal_copies import register_exports
from storage.personal_data import Target, UnknownTarget, find_target
from storage.personal_erasure import NotErasable, erase, remove_files
from storage.personal_export import export

NO_ORGANISATION = "(no organisation)"


class AmbiguousTarget(LookupError):
    """An id that names people of several organisations, and no --organisation."""

    def __str__(self) -> str:
        ident, slugs = self.args
        return (
            f"{ident!r} names people of several organisations ({', '.join(slugs)}); "
            "give --organisation SLUG"
        )


class UnknownSlug(LookupError):
    """An --organisation that no organisation of the deployment has."""

    def __str__(self) -> str:
        slug, known = self.args
        return f"no organisation has the slug {slug!r}; known: {', '.join(known)}"


async def person_target(
    session: AsyncSession, organisations: Organisations, ident: str, slug: str | None
) -> Target:
    """Whom the request concerns, in one organisation (raises UnknownTarget, UnknownSlug,
    AmbiguousTarget)."""
    if slug is not None:
        organisation = organisations.by_slug(slug)
        if organisation is None:
            raise UnknownSlug(slug, [o.slug for o in organisations])
        return await find_target(
            session, ident, organisation=organisation.slug, tenant_ids=organisation.tenant_ids
        )
    target = await find_target(session, ident)
    if target.kind == "person" and len(organisations) > 1:
        slugs = sorted(
            {
                found.slug if (found := organisations.for_tenant(p.tenant_id)) else NO_ORGANISATION
                for p in target.people
            }
        )
        if len(slugs) > 1:
            raise AmbiguousTarget(ident, slugs)
    return target


async def person_export(
    settings: Settings,
    organisations: Organisations,
    ident: str,
    output: Path | None,
    organisation: str | None = None,
) -> int:
    """Writes everything stored about the id as JSON (stdout or `output`)."""
    engine = create_engine(settings.database_url)
    try:
        await upgrade_head(engine)
        async with session_factory(engine).begin() as session:
            try:
                target = await person_target(session, organisations, ident, organisation)
            except UnknownTarget:
                print(f"kanalkollen: nobody stored matches {ident!r}", file=sys.stderr)
                return 1
            except (UnknownSlug, AmbiguousTarget) as error:
                print(f"kanalkollen: {error}", file=sys.stderr)
                return 2
            data = await export(
                session, target, register_exports=register_exports(settings.files_dir)
            )
            record_event(
                session,
                at=SystemClock().now(),
                action="person.exported",
                subject_type=target.kind,
                subject_id=",".join(map(str, target.ids)),
                details={"organisation": organisation} if organisation else None,
            )
    finally:
        await engine.dispose()
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if output is not None:
        await asyncio.to_thread(output.write_text, text, encoding="utf-8")
    else:
        sys.stdout.buffer.write(text.encode("utf-8"))
        sys.stdout.flush()
    return 0


async def person_erase(
    settings: Settings,
    organisations: Organisations,
    ident: str,
    dry_run: bool,
    organisation: str | None = None,
) -> int:
    """Removes or anonymises what is not kept as a public record; prints the report."""
    async with opened_file_store(settings) as files:
        return await _erase(settings, organisations, ident, dry_run, organisation, files)


async def _erase(
    settings: Settings,
    organisations: Organisations,
    ident: str,
    dry_run: bool,
    organisation: str | None,
    files: FileStore,
) -> int:
    engine = create_engine(settings.database_url)
    try:
        await upgrade_head(engine)
        async with session_factory(engine).begin() as session:
            try:
                target = await person_target(session, organisations, ident, organisation)
                report = await erase(
                    session,
                    target,
                    SystemClock().now(),
                    files=files,
                    dry_run=dry_run,
                    register_exports=register_exports(settings.files_dir),
                )
            except UnknownTarget:
                print(f"kanalkollen: nobody stored matches {ident!r}", file=sys.stderr)
                return 1
            except (UnknownSlug, AmbiguousTarget) as error:
                print(f"kanalkollen: {error}", file=sys.stderr)
                return 2
            except NotErasable as error:
                print(f"kanalkollen: not erased: {error}", file=sys.stderr)
                return 2
    finally:
        await engine.dispose()
    # Contents go only once the erasure is committed: a failed commit leaves every file in place.
    failed = [] if dry_run else await remove_files(files, report)
    heading = "would remove or anonymise" if dry_run else "removed or anonymised"
    lines = [f"{heading}:", *(f"  - {line}" for line in report.removed)]
    lines += ["kept as public records:", *(f"  - {line}" for line in report.kept)]
    sys.stdout.buffer.write(("\n".join(lines) + "\n").encode("utf-8"))
    sys.stdout.flush()
    for key in failed:
        print(
            f"kanalkollen: could not delete stored file {key}; delete it by hand", file=sys.stderr
        )
    return 3 if failed else 0
