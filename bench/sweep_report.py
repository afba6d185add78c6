"""The reminder-sweep benchmark's figures: statement timings, query plans, verdict, table."""

from __future__ import annotations

import contextlib
import math
import resource
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.common import percentile
from bench.sweep_data import BATCH, HORIZON_DAYS, INDEX, PAGE, Shape, channel_batches
from domain.lifecycle import ChannelStatus

TARGET_SELECT_MS = 100.0

TARGET_RSS_MB = 200.0


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
