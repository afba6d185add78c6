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
import gc
import importlib
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bench.common import environment
from bench.common import positive as _positive
from bench.sweep_data import (
    BATCH,
    HORIZON_DAYS,
    PAGE,
    BenchError,
    Shape,
    fresh_database,
    load,
    server_version,
)
from bench.sweep_report import (
    TARGET_RSS_MB,
    TARGET_SELECT_MS,
    StatementCapture,
    _selects,
    expected,
    plan_of,
    render,
    rss_mb,
    stats,
    timed,
)
from domain.policy import DocumentationPolicy
from storage.db import create_engine, session_factory
from storage.documentation import channels_due_by
from storage.migrate import upgrade_head

SWEEP_CAP = DocumentationPolicy().max_reminders_per_sweep


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
