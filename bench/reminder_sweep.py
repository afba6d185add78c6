"""Reminder-sweep benchmark: selecting the channels due for documentation among 100,000.

Run from the repository root::

    .venv/bin/python -m bench.reminder_sweep [--channels N] [--database sqlite|URL] [--json]

It creates a fresh database (a SQLite file in a temporary folder, or a new database on the
PostgreSQL server named by `--database`, dropped at the end), migrates it with
`storage.migrate.upgrade_head`, and loads N channels with SQLAlchemy Core `insert(ChannelRow)`
in batches of 5,000, plus (unless `--channels-only`) a pool of people as requesters,
managers and two editors per channel. The channels look like a municipality's: mostly
active, the rest spread over the other statuses; the live ones (active, closing) have their
next documentation due spread evenly over the next two years, about 5 % of them overdue.

Then it times the selection the documentation sweep makes, each run in a new session as
the sweep would, with horizon = today + 14 days: `storage.documentation.channels_due_by(
session, horizon)` returning all due channels in one call (the target), the same with
Python's cyclic garbage collector paused, its captured SQL through the driver alone, one page
(`limit=500`), and the sweep's own loop (dialogs.documentation): every due channel in keyset
pages of 500 (`after=` the last row's (due date, id)). It shows the database's plan of the
one-call statement and of a later page (`EXPLAIN QUERY PLAN` on SQLite, `EXPLAIN (ANALYZE,
BUFFERS)` on PostgreSQL) and checks that both use `ix_channels_documentation_due`, and it
reads the process's resident memory (VmRSS and its peak VmHWM) after loading and selecting.
The bot's modules are imported first, so the memory figures start from the bot's footprint.

Exit status: 0 when every target passes, 1 when one fails, 2 when the run itself broke.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import importlib
import json
import math
import random
import resource
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import event, insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bench.common import environment, percentile
from bench.common import positive as _positive
from domain.channel_request import Platform
from domain.lifecycle import ChannelStatus
from domain.policy import DocumentationPolicy
from storage.db import create_engine, session_factory
from storage.documentation import channels_due_by
from storage.migrate import upgrade_head
from storage.models import ChannelEditorRow, ChannelRow, PersonRow

INDEX = "ix_channels_documentation_due"
TARGET_SELECT_MS = 100.0
TARGET_RSS_MB = 200.0
BATCH = 5_000
HORIZON_DAYS = DocumentationPolicy().reminder_days_before
SWEEP_CAP = DocumentationPolicy().max_reminders_per_sweep
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


def import_bot() -> str:
    """Imports the bot's modules, so that memory is measured on the bot's own footprint.

    The benchmark needs none of them: if they do not import (work in progress elsewhere in
    the repository), it goes on and says so in the report.
    """
    try:
        importlib.import_module("bot.app")
    except Exception as error:
        return f"no ({type(error).__name__}: {error})"
    return "yes"


# ----------------------------------------------------------------------------- the data


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


# ----------------------------------------------------------------------------- measuring


class StatementCapture:
    """Records the SQL statements (and their parameters) an engine runs, for EXPLAIN."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine.sync_engine
        self.statements: list[tuple[str, Any]] = []

    def _before(
        self, _conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any
    ) -> None:
        self.statements.append((statement, parameters))

    def __enter__(self) -> StatementCapture:
        event.listen(self._engine, "before_cursor_execute", self._before)
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(self._engine, "before_cursor_execute", self._before)


def rss_mb() -> dict[str, float]:
    """The process's resident memory now and at its peak, in MB (VmRSS, VmHWM)."""
    found: dict[str, float] = {}
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                found[key] = int(value.split()[0]) / 1024
    peak = found.get("VmHWM")
    if peak is None:
        # ru_maxrss is in kB on Linux (bytes on macOS; close enough for a fallback).
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"rss_mb": round(found.get("VmRSS", peak), 1), "peak_rss_mb": round(peak, 1)}


def stats(samples: Sequence[float], rows: int) -> dict[str, Any]:
    """min/median/p95/max in ms of timings in seconds, with the rows each run returned."""
    ordered = sorted(s * 1000 for s in samples)
    return {
        "runs": len(ordered),
        "rows": rows,
        "min_ms": round(ordered[0], 2) if ordered else math.nan,
        "median_ms": round(statistics.median(ordered), 2) if ordered else math.nan,
        "p95_ms": round(percentile(ordered, 95), 2),
        "max_ms": round(ordered[-1], 2) if ordered else math.nan,
    }


async def timed(
    runs: int, warmup: int, deadline: float, once: Callable[[], Awaitable[int]]
) -> tuple[list[float], int, bool]:
    """Runs `once` warmup + runs times; (seconds per measured run, rows, complete)."""
    samples: list[float] = []
    rows = 0
    for index in range(warmup + runs):
        if time.monotonic() > deadline:
            return samples, rows, False
        start = time.perf_counter()
        rows = await once()
        elapsed = time.perf_counter() - start
        if index >= warmup:
            samples.append(elapsed)
    return samples, rows, True


async def explain(engine: AsyncEngine, statement: str, parameters: Any) -> list[str]:
    """The database's plan for one captured statement, as lines of text."""
    async with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            result = await connection.exec_driver_sql(
                f"EXPLAIN QUERY PLAN {statement}", parameters
            )
            rows = result.all()
            depth: dict[int, int] = {0: -1}
            lines = []
            for row in rows:
                values: tuple[Any, ...] = tuple(row)
                node, parent, detail = int(values[0]), int(values[1]), str(values[3])
                depth[node] = depth.get(parent, -1) + 1
                lines.append(f"{'  ' * depth[node]}{detail}")
            return lines
        result = await connection.exec_driver_sql(
            f"EXPLAIN (ANALYZE, BUFFERS) {statement}", parameters
        )
        return [str(row[0]) for row in result.all()]


def _selects(capture: StatementCapture) -> list[tuple[str, Any]]:
    return [s for s in capture.statements if s[0].lstrip().upper().startswith("SELECT")]


async def plan_of(engine: AsyncEngine, statement: str, parameters: Any) -> dict[str, Any]:
    """The plan of one captured statement and whether it uses the due index."""
    plan = await explain(engine, statement, parameters)
    return {
        "statement": " ".join(statement.split()),
        "plan": plan,
        "index_used": any(INDEX in line for line in plan),
        "seq_scan": any(
            "Seq Scan on channels" in line or line.strip() == "SCAN channels" for line in plan
        ),
    }


async def measure(
    engine: AsyncEngine, runs: int, warmup: int, deadline: float, horizon: date
) -> dict[str, Any]:
    """Times the due-channel selection several ways and explains it."""
    sessions: async_sessionmaker[AsyncSession] = session_factory(engine)

    async def all_due() -> int:
        async with sessions() as session:
            return len(await channels_due_by(session, horizon))

    async def one_page() -> int:
        async with sessions() as session:
            return len(await channels_due_by(session, horizon, limit=PAGE))

    async def keyset_pages() -> int:
        # The sweep's loop (dialogs.documentation): pages of PAGE, each after the last row
        # of the one before, in one session; here to the end, as a sweep does when few of
        # the due channels have a reminder step today.
        total = 0
        after: tuple[date, int] | None = None
        async with sessions() as session:
            while page := await channels_due_by(session, horizon, limit=PAGE, after=after):
                total += len(page)
                after = (page[-1].next_documentation_due, page[-1].id)
        return total

    async def all_due_gc_off() -> int:
        # The same call with Python's cyclic garbage collector paused for its duration: the
        # difference is what collections triggered by the call's own allocations cost.
        gc.disable()
        try:
            return await all_due()
        finally:
            gc.enable()

    with StatementCapture(engine) as capture:
        await all_due()
    with StatementCapture(engine) as paged:
        await keyset_pages()
    selects, pages = _selects(capture), _selects(paged)
    if not selects or len(pages) < 2:
        raise BenchError("channels_due_by ran no SELECT that could be captured")
    statement, parameters = selects[-1]

    async def driver_only() -> int:
        async with engine.connect() as connection:
            return len((await connection.exec_driver_sql(statement, parameters)).all())

    result: dict[str, Any] = {"complete": True}
    for name, once in (
        ("all_due", all_due),
        ("all_due_gc_off", all_due_gc_off),
        ("driver_only", driver_only),
        ("one_page", one_page),
        ("keyset_pages", keyset_pages),
    ):
        samples, rows, complete = await timed(runs, warmup, deadline, once)
        result[name] = stats(samples, rows)
        result["complete"] = result["complete"] and complete
    # As `kanalkollen serve` runs: what start-up built is moved out of the collector's
    # generations (gc.freeze() in bot/cli/main.py), so a full collection scans only newer objects.
    gc.collect()
    gc.freeze()
    try:
        for name, once in (("all_due_frozen", all_due), ("keyset_pages_frozen", keyset_pages)):
            samples, rows, complete = await timed(runs, warmup, deadline, once)
            result[name] = stats(samples, rows)
            result["complete"] = result["complete"] and complete
    finally:
        gc.unfreeze()
    result["pages"] = len(pages) - 1  # the last SELECT finds the end (an empty page)
    result["all"] = await plan_of(engine, statement, parameters)
    result["later_page"] = await plan_of(engine, *pages[1])
    tracked = len(gc.get_objects())
    started = time.perf_counter()
    gc.collect()
    result["full_gc"] = {
        "ms": round((time.perf_counter() - started) * 1000, 1),
        "tracked_objects": tracked,
        "thresholds": list(gc.get_threshold()),
    }
    return result


# ------------------------------------------------------------------------------ databases


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


# ------------------------------------------------------------------------------ reporting


def render(result: dict[str, Any]) -> str:
    """The human-readable report: data, timings, plan, memory, targets."""
    config, env, data = result["config"], result["environment"], result["data"]
    select, memory = result["selection"], result["memory"]
    targets = result["targets"]
    lines = [
        f"channels: {config['channels']:,}, people: {config['people']:,}, "
        f"horizon: {config['horizon']} (today {config['today']} + {HORIZON_DAYS} days), "
        f"runs: {config['runs']} after {config['warmup']} warm-up, seed {config['seed']}",
        f"database: {config['database']}, {result['server']}",
        f"python {env['python']}, sqlalchemy {env['sqlalchemy']}, {env['cpus']} CPUs, "
        f"load {env['load_average']} at start, git {env['git']}",
        "",
        f"loaded {data['people']:,} people, {data['channels']:,} channels, "
        f"{data['channel_editors']:,} editors in {data['seconds']:.1f} s "
        f"({data['rows_per_s']:,} rows/s, batches of {BATCH:,})"
        + ("; then ANALYZE" if data["analyzed"] else ""),
        f"due by the horizon: {result['expected_due']:,} active channels "
        f"({result['expected_overdue']:,} overdue)",
        "",
        f"{'selection':<44} {'rows':>6} {'min ms':>8} {'median':>8} {'p95 ms':>8} {'max ms':>8}",
    ]
    labels = {
        "all_due": "channels_due_by(session, horizon)",
        "all_due_gc_off": "  the same, cyclic GC paused",
        "driver_only": "  its SQL through the driver alone",
        "one_page": f"one page: channels_due_by(..., limit={PAGE})",
        "keyset_pages": f"the sweep's loop: all, in pages of {PAGE}",
        "all_due_frozen": "as served (after gc.freeze()): all due",
        "keyset_pages_frozen": f"  as served: the sweep's loop, pages of {PAGE}",
    }
    for key, label in labels.items():
        row = select[key]
        lines.append(
            f"{label:<44} {row['rows']:>6} {row['min_ms']:>8.2f} {row['median_ms']:>8.2f} "
            f"{row['p95_ms']:>8.2f} {row['max_ms']:>8.2f}"
        )
    full_gc = select["full_gc"]
    lines.append(
        f"(the sweep's loop ran {select['pages']} pages and one empty; a full garbage "
        f"collection in this process: {full_gc['ms']:.1f} ms over "
        f"{full_gc['tracked_objects']:,} tracked objects)"
    )
    explain_kind = "EXPLAIN QUERY PLAN" if result["dialect"] == "sqlite" else "EXPLAIN"
    lines += [
        "",
        f"{explain_kind}, all due (channels_due_by(session, horizon)):",
        *(f"  {line}" for line in select["all"]["plan"]),
        "",
        f"{explain_kind}, a later page (limit {PAGE}, after the last row of the first):",
        *(f"  {line}" for line in select["later_page"]["plan"]),
        "",
        f"memory: {memory['start']['rss_mb']:.1f} MB at start "
        f"(bot modules imported: {config['bot_modules_imported']}), "
        f"{memory['after_load']['rss_mb']:.1f} MB after loading, "
        f"{memory['after_select']['rss_mb']:.1f} MB after selecting; "
        f"peak {memory['after_select']['peak_rss_mb']:.1f} MB",
        "",
    ]

    def mark(ok: bool) -> str:
        return "PASS" if ok else "FAIL"

    all_due, pages = select["all_due"], select["keyset_pages"]
    used = "yes" if targets["index_pass"] else "no"
    lines += [
        f"{'target':<40} {'measured':>12}  result",
        f"{'selection p95 < 100 ms (all due, 1 call)':<40} {all_due['p95_ms']:>10.2f}ms  "
        f"{mark(targets['select_pass'])}",
        f"{'selection p95 < 100 ms (sweep, pages)':<40} {pages['p95_ms']:>10.2f}ms  "
        f"{mark(targets['pages_pass'])}",
        f"{'as served: all due, 1 call, p95 < 100 ms':<40} "
        f"{select['all_due_frozen']['p95_ms']:>10.2f}ms  {mark(targets['served_pass'])}",
        f"{'plans use ' + INDEX:<40} {used:>12}  {mark(targets['index_pass'])}",
        f"{'peak resident memory < 200 MB':<40} "
        f"{memory['after_select']['peak_rss_mb']:>10.1f}MB  {mark(targets['memory_pass'])}",
        f"{'rows returned = due channels':<40} "
        f"{all_due['rows']:>6}/{result['expected_due']:<5}  {mark(targets['rows_pass'])}",
    ]
    if not select["complete"]:
        lines.append(f"STOPPED by the {config['max_seconds']}s deadline: figures are partial")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------- main


def expected(shape: Shape, horizon: date) -> tuple[int, int]:
    """How many active channels are due by the horizon, and how many are overdue."""
    due = overdue = 0
    for channels, _editors in channel_batches(shape):
        for row in channels:
            when = row["next_documentation_due"]
            if row["status"] == ChannelStatus.ACTIVE.value and when is not None:
                due += when <= horizon
                overdue += when < shape.today
    return due, overdue


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Creates and loads the database, measures, and returns the result."""
    started = time.monotonic()
    deadline = started + args.max_seconds
    bot_imported = import_bot()
    memory = {"start": rss_mb()}
    measured_on = environment()
    now = datetime.now(UTC)
    today = now.date()
    horizon = today + timedelta(days=HORIZON_DAYS)
    people = 0 if args.channels_only else max(10, args.channels // 4)
    shape = Shape(args.channels, people, today, now, args.seed)
    with tempfile.TemporaryDirectory(prefix="kk-bench-sweep-") as folder:
        async with fresh_database(args.database, Path(folder)) as (url, shown):
            engine = create_engine(url)
            try:
                await upgrade_head(engine)
                server = await server_version(engine)
                data = await load(engine, shape)
                memory["after_load"] = rss_mb()
                selection = await measure(engine, args.runs, args.warmup, deadline, horizon)
                memory["after_select"] = rss_mb()
                dialect = engine.dialect.name
            finally:
                await engine.dispose()
    due, overdue = expected(shape, horizon)
    all_due = selection["all_due"]
    peak = memory["after_select"]["peak_rss_mb"]
    return {
        "config": {
            "channels": args.channels,
            "people": people,
            "database": shown,
            "runs": args.runs,
            "warmup": args.warmup,
            "seed": args.seed,
            "today": today.isoformat(),
            "horizon": horizon.isoformat(),
            "batch": BATCH,
            "max_seconds": args.max_seconds,
            "bot_modules_imported": bot_imported,
        },
        "environment": measured_on,
        "server": server,
        "dialect": dialect,
        "data": data,
        "expected_due": due,
        "expected_overdue": overdue,
        "selection": selection,
        "memory": memory,
        "targets": {
            "select_p95_ms_max": TARGET_SELECT_MS,
            "peak_rss_mb_max": TARGET_RSS_MB,
            "select_pass": all_due["p95_ms"] < TARGET_SELECT_MS,
            "pages_pass": selection["keyset_pages"]["p95_ms"] < TARGET_SELECT_MS,
            "served_pass": selection["all_due_frozen"]["p95_ms"] < TARGET_SELECT_MS,
            "index_pass": bool(
                selection["all"]["index_used"] and selection["later_page"]["index_used"]
            ),
            "memory_pass": peak < TARGET_RSS_MB,
            "rows_pass": all_due["rows"] == due and selection["keyset_pages"]["rows"] == due,
        },
        "elapsed_s": round(time.monotonic() - started, 2),
    }


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.reminder_sweep",
        description="Time of the documentation sweep's due-channel selection among N "
        "channels, its query plan, and the process's resident memory.",
    )
    parser.add_argument(
        "--channels", type=_positive, default=100_000, help="channels to load (100000)"
    )
    parser.add_argument(
        "--database",
        default="sqlite",
        help="'sqlite' for a fresh temporary SQLite file, or a PostgreSQL URL (e.g. "
        "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres): a new database "
        "kk_bench_sweep_<random> is created on that server and dropped at the end",
    )
    parser.add_argument("--runs", type=_positive, default=30, help="measured runs (30)")
    parser.add_argument("--warmup", type=int, default=3, help="warm-up runs (3)")
    parser.add_argument("--seed", type=int, default=20261124, help="random seed of the data")
    parser.add_argument(
        "--channels-only",
        action="store_true",
        help="load channels only (no people, no editors; requester and manager left empty)",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=600.0,
        help="stop measuring after this many seconds and report what was measured (600)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the benchmark and prints the report; the exit status tells PASS (0) / FAIL (1)."""
    args = _parser().parse_args(argv)
    if args.warmup < 0:
        print("bench.reminder_sweep: --warmup must not be negative", file=sys.stderr)
        return 2
    try:
        result = asyncio.run(asyncio.wait_for(run(args), timeout=args.max_seconds + 120))
    except (BenchError, TimeoutError) as error:
        print(f"bench.reminder_sweep: {error or 'the run took too long'}", file=sys.stderr)
        return 2
    except (OSError, SQLAlchemyError, asyncpg.PostgresError) as error:
        print(
            f"bench.reminder_sweep: could not start or reach a service: {error!r}",
            file=sys.stderr,
        )
        return 2
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        print(render(result))
    if not result["selection"]["complete"]:
        return 2
    return 0 if all(v for k, v in result["targets"].items() if k.endswith("_pass")) else 1


if __name__ == "__main__":
    sys.exit(main())
