"""The reminder-sweep benchmark's data: 100,000 channels (or --channels) with their people, due
dates spread over the horizon, loaded in batches into a fresh database."""

from __future__ import annotations

import contextlib
import random
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.channel_request import Platform
from domain.lifecycle import ChannelStatus
from domain.policy import DocumentationPolicy
from storage.models import ChannelEditorRow, ChannelRow, PersonRow

INDEX = "ix_channels_documentation_due"

BATCH = 5_000

HORIZON_DAYS = DocumentationPolicy().reminder_days_before

PAGE = 500  # dialogs.documentation.PAGE: the sweep reads the due channels in pages of 500

OVERDUE_SHARE = 0.05

TENANT_ID = "7e57c0de-0000-4000-8000-000000000001"

# How a municipality's channels are spread over the lifecycle (weights, summing to 100).
STATUS_WEIGHTS: tuple[tuple[ChannelStatus, int], ...] = (
    (ChannelStatus.ACTIVE, 86),
    (ChannelStatus.CLOSING, 1),
    (ChannelStatus.CLOSED, 4),
    (ChannelStatus.EDITORS_READY, 1),
    (ChannelStatus.APPROVED, 1),
    (ChannelStatus.PENDING_APPROVAL, 3),
    (ChannelStatus.CHANGES_REQUESTED, 1),
    (ChannelStatus.REJECTED, 2),
    (ChannelStatus.DRAFT, 1),
)

UNITS = tuple(
    f"{area} {kind}"
    for area in ("Norra", "Södra", "Östra", "Västra", "Centrala", "Kust")
    for kind in ("skolområdet", "fritidsgården", "biblioteket", "kulturhuset", "förskolorna")
)


class BenchError(RuntimeError):
    """The benchmark could not measure what it set out to (a database it could not reach)."""


@dataclass(frozen=True)
class Shape:
    """What to load: how many channels and people, from which seed, relative to which day."""

    channels: int
    people: int
    today: date
    now: datetime
    seed: int


def _due_date(rng: random.Random, status: ChannelStatus, today: date) -> date | None:
    """When the channel's next documentation is due: live channels only, ~5 % overdue."""
    if status in (ChannelStatus.ACTIVE, ChannelStatus.CLOSING):
        if rng.random() < OVERDUE_SHARE:
            return today - timedelta(days=rng.randint(1, 180))
        return today + timedelta(days=rng.randint(0, 730))
    if status is ChannelStatus.CLOSED:
        # A closed channel keeps the due date it had: never selected, by its status.
        return today - timedelta(days=rng.randint(1, 730))
    return None


def channel_batches(shape: Shape) -> Iterator[tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
    """Yields (channels, editors) rows in batches of BATCH channels, generated as they go."""
    rng = random.Random(shape.seed)
    statuses = [status for status, _ in STATUS_WEIGHTS]
    weights = [weight for _, weight in STATUS_WEIGHTS]
    platforms = list(Platform)
    editor_id = 0
    for first in range(1, shape.channels + 1, BATCH):
        channels: list[dict[str, Any]] = []
        editors: list[dict[str, Any]] = []
        for channel_id in range(first, min(first + BATCH, shape.channels + 1)):
            status = rng.choices(statuses, weights)[0]
            due = _due_date(rng, status, shape.today)
            created = shape.now - timedelta(days=rng.randint(1, 2000), seconds=rng.random())
            imported = rng.random() < 0.3
            people = shape.people
            requester = None if imported or not people else rng.randint(1, people)
            manager = rng.randint(1, people) if people else None
            kind = rng.choice(platforms)
            channels.append(
                {
                    "id": channel_id,
                    "tenant_id": TENANT_ID,
                    "status": status.value,
                    "version": rng.randint(1, 6),
                    "platform": kind.value,
                    "name": f"{rng.choice(UNITS)} på {kind.value} {channel_id}",
                    "unit": rng.choice(UNITS),
                    "purpose": "Informera vårdnadshavare och elever om verksamheten, "
                    f"evenemang och öppettider (kanal {channel_id}).",
                    "plan": {},
                    "login_reference": f"Lösenordsvalvet: Sociala medier/{channel_id}",
                    "requester_person_id": requester,
                    "source": "import" if imported else "request",
                    "manager_person_id": manager,
                    "manager_source": "import" if imported else "directory",
                    "manager_has_login_access": rng.random() < 0.5,
                    "address": f"https://example.org/{kind.value}/kanal{channel_id}",
                    "start_date": (due - timedelta(days=182 * rng.randint(1, 8))) if due else None,
                    "next_documentation_due": due,
                    "created_at": created,
                    "updated_at": created + timedelta(days=rng.randint(0, 30)),
                }
            )
            if people >= 2 and status not in (ChannelStatus.DRAFT, ChannelStatus.REJECTED):
                for person in rng.sample(range(1, people + 1), 2):
                    editor_id += 1
                    editors.append(
                        {
                            "id": editor_id,
                            "channel_id": channel_id,
                            "person_id": person,
                            "status": "accepted",
                            "nominated_by_person_id": requester,
                            "nominated_at": created,
                            "responded_at": created + timedelta(hours=rng.randint(1, 72)),
                        }
                    )
        yield channels, editors


def people_batches(shape: Shape) -> Iterator[list[dict[str, Any]]]:
    """Yields the people rows (requesters, managers, editors) in batches of BATCH."""
    for first in range(1, shape.people + 1, BATCH):
        batch = []
        for person_id in range(first, min(first + BATCH, shape.people + 1)):
            batch.append(
                {
                    "id": person_id,
                    "tenant_id": TENANT_ID,
                    "aad_object_id": f"a0a0a0a0-0000-4000-8000-{person_id:012d}",
                    "teams_user_id": f"29:1bench{person_id:08d}",
                    "name": f"Person {person_id}",
                    "email": f"person.{person_id}@kommun.example",
                    "locale": "sv-SE",
                    "created_at": shape.now,
                    "updated_at": shape.now,
                }
            )
        yield batch


async def load(engine: AsyncEngine, shape: Shape) -> dict[str, Any]:
    """Inserts the people, channels and editors, one transaction per batch; returns counts."""
    started = time.perf_counter()
    counts = {"people": 0, "channels": 0, "channel_editors": 0}
    for people in people_batches(shape):
        async with engine.begin() as connection:
            await connection.execute(insert(PersonRow), people)
        counts["people"] += len(people)
    for channels, editors in channel_batches(shape):
        async with engine.begin() as connection:
            await connection.execute(insert(ChannelRow), channels)
            if editors:
                await connection.execute(insert(ChannelEditorRow), editors)
        counts["channels"] += len(channels)
        counts["channel_editors"] += len(editors)
    seconds = time.perf_counter() - started
    if engine.dialect.name == "postgresql":
        # Explicit ids leave the sequences behind; and autovacuum would ANALYZE the freshly
        # loaded tables within a minute or so: do both now, so the plan is the steady one.
        async with engine.begin() as connection:
            for table in ("people", "channels", "channel_editors"):
                await connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.exec_driver_sql("ANALYZE")
    rows = sum(counts.values())
    return {
        **counts,
        "seconds": round(seconds, 2),
        "rows_per_s": round(rows / seconds) if seconds else None,
        "analyzed": engine.dialect.name == "postgresql",
    }


@contextlib.asynccontextmanager
async def fresh_database(choice: str, folder: Path) -> AsyncIterator[tuple[str, str]]:
    """Yields (url, shown) of a new empty database; a PostgreSQL one is dropped afterwards."""
    if choice == "sqlite":
        yield f"sqlite+aiosqlite:///{folder / 'kanalkollen.db'}", "sqlite (fresh temp file)"
        return
    url = make_url(choice)
    if url.get_backend_name() != "postgresql":
        raise BenchError(f"--database must be 'sqlite' or a PostgreSQL URL, not {choice!r}")
    name = f"kk_bench_sweep_{uuid.uuid4().hex[:8]}"
    admin_dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        admin = await asyncpg.connect(admin_dsn, timeout=10)
    except (OSError, asyncpg.PostgresError) as error:
        raise BenchError(f"cannot reach PostgreSQL at {url!r}: {error!r}") from error
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    fresh = url.set(drivername="postgresql+asyncpg", database=name)
    try:
        yield (
            fresh.render_as_string(hide_password=False),
            f"{fresh.render_as_string(hide_password=True)} (fresh, dropped afterwards)",
        )
    finally:
        admin = await asyncpg.connect(admin_dsn, timeout=10)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


async def server_version(engine: AsyncEngine) -> str:
    """The database server's version string."""
    async with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            row = (await connection.exec_driver_sql("SELECT sqlite_version()")).scalar()
            return f"SQLite {row}"
        row = (await connection.exec_driver_sql("SHOW server_version")).scalar()
        return f"PostgreSQL {row}"
