"""Organisation-sweep benchmark (issue 15): 300 organisations x 1,000 channels.

Run from the repository root::

    .venv/bin/python -m bench.organisation_sweep [--organisations N] [--per-organisation N]
        [--database sqlite|URL] [--runs N] [--json]

It loads the channels of bench.reminder_sweep (same spread of statuses and due dates), each
organisation with its own tenant and three administrations, then times the documentation
sweep's selection for one organisation (`channels_due_by(session, horizon,
organisation=slug)`) and for one administration, each run in a new session and for a random
organisation, and the sweep's own page of 500 due channels across every organisation (one
query; each channel then goes by its administration's days), and shows the plan of the
organisation's statement: it must use `ix_channels_organisation_due` (or the
administration's index). Target: p95 < 100 ms for each.

Exit status: 0 when every target passes, 1 when one fails, 2 when the run itself broke.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.common import environment
from bench.common import positive as _positive
from bench.sweep_data import HORIZON_DAYS, BenchError, Shape, channel_batches, fresh_database
from bench.sweep_report import TARGET_SELECT_MS, explain, stats, timed
from dialogs.documentation.reminders import PAGE
from storage.db import create_engine, session_factory
from storage.documentation import channels_due_by
from storage.migrate import upgrade_head
from storage.models import ChannelRow

ADMINISTRATIONS = ("sof", "kultur", "stadsbyggnad")
NAMES = ("organisation", "administration", "deployment")
INDEXES = ("ix_channels_organisation_due", "ix_channels_administration_due")


def slug(number: int) -> str:
    """The slug of organisation number `number` (0-based)."""
    return f"kommun-{number:03d}"


def tenant(number: int) -> str:
    """A synthetic Entra tenant id per organisation."""
    return f"7e57c0de-0000-4000-8000-{number:012d}"


async def load(
    engine: AsyncEngine, organisations: int, per_organisation: int, shape: Shape
) -> float:
    """Loads the channels, organisation by organisation; returns the seconds it took."""
    start = time.perf_counter()
    async with engine.begin() as connection:
        for channels, _editors in channel_batches(shape):
            for row in channels:
                number = (row["id"] - 1) // per_organisation
                row["organisation"] = slug(number)
                row["administration"] = ADMINISTRATIONS[row["id"] % len(ADMINISTRATIONS)]
                row["tenant_id"] = tenant(number)
            await connection.execute(insert(ChannelRow), channels)
    return time.perf_counter() - start


async def measure(
    engine: AsyncEngine, organisations: int, runs: int, shape: Shape
) -> dict[str, Any]:
    """Times the per-organisation and per-administration selections."""
    sessions = session_factory(engine)
    horizon = shape.today + timedelta(days=HORIZON_DAYS)
    rng = random.Random(shape.seed + 1)
    deadline = time.monotonic() + 300
    results: dict[str, Any] = {}
    for name, administration in (("organisation", None), ("administration", "sof")):

        async def once(administration: str | None = administration) -> int:
            async with sessions() as session:
                due = await channels_due_by(
                    session,
                    horizon,
                    organisation=slug(rng.randrange(organisations)),
                    administration=administration,
                )
                return len(due)

        samples, rows, complete = await timed(runs, 5, deadline, once)
        results[name] = {**stats(samples, rows), "complete": complete}

    async def page() -> int:
        # What the sweep itself reads: one page across every organisation, the widest horizon
        # (each channel then goes by its own administration's days: DocumentationReminders).
        async with sessions() as session:
            return len(await channels_due_by(session, horizon, limit=PAGE))

    samples, rows, complete = await timed(runs, 5, deadline, page)
    results["deployment"] = {**stats(samples, rows), "complete": complete}
    captured: list[tuple[str, Any]] = []

    def capture(_c: Any, _cur: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        captured.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", capture)
    try:
        async with sessions() as session:
            await channels_due_by(session, horizon, organisation=slug(0))
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", capture)
    statement, parameters = next(s for s in captured if s[0].lstrip().upper().startswith("SELECT"))
    plan = await explain(engine, statement, parameters)
    results["plan"] = plan
    results["index_used"] = any(index in line for line in plan for index in INDEXES)
    return results


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Loads a fresh database and measures; the result as a dict."""
    now = datetime.now(UTC)
    total = args.organisations * args.per_organisation
    shape = Shape(channels=total, people=0, today=now.date(), now=now, seed=args.seed)
    with tempfile.TemporaryDirectory() as folder:
        async with fresh_database(args.database, Path(folder)) as (url, shown):
            engine = create_engine(url)
            try:
                await upgrade_head(engine)
                loaded = await load(engine, args.organisations, args.per_organisation, shape)
                measured = await measure(engine, args.organisations, args.runs, shape)
            finally:
                await engine.dispose()
    passed = measured["index_used"] and all(
        measured[name]["complete"] and measured[name]["p95_ms"] < TARGET_SELECT_MS
        for name in NAMES
    )
    return {
        "environment": environment(),
        "database": shown,
        "organisations": args.organisations,
        "channels": total,
        "load_seconds": round(loaded, 1),
        **measured,
        "target_p95_ms": TARGET_SELECT_MS,
        "passed": passed,
    }


def render(result: dict[str, Any]) -> str:
    """The result as a short text report."""
    lines = [
        f"database: {result['database']}",
        f"{result['organisations']} organisations, {result['channels']:,} channels "
        f"(loaded in {result['load_seconds']} s)",
    ]
    for name in NAMES:
        row = result[name]
        what = "a sweep page of every organisation" if name == "deployment" else f"one {name}"
        lines.append(
            f"due for {what}: {row['rows']} rows, median {row['median_ms']} ms, "
            f"p95 {row['p95_ms']} ms, max {row['max_ms']} ms ({row['runs']} runs)"
        )
    lines.append("plan: " + " | ".join(result["plan"]))
    lines.append(f"index used: {result['index_used']}")
    verdict = "PASS" if result["passed"] else "FAIL"
    lines.append(f"{verdict}: p95 < {result['target_p95_ms']} ms with the organisation index")
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--organisations", type=_positive, default=300)
    parser.add_argument("--per-organisation", type=_positive, default=1000)
    parser.add_argument("--database", default="sqlite")
    parser.add_argument("--runs", type=_positive, default=50)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--json", action="store_true")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        result = asyncio.run(run(args))
    except BenchError as error:
        print(f"bench failed: {error}", file=sys.stderr)
        return 2
    print(json.dumps(result, indent=2, default=str) if args.json else render(result))
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
