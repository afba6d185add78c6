"""Every scheduler sweep over a municipality's worth of channels, consents and tasks.

Run from the repository root::

    .venv/bin/python -m bench.sweeps [--channels N] [--database sqlite|URL] [--runs R] [--json]

It loads N channels with people and editors exactly as `bench.reminder_sweep` does, then for
every active channel three consent checks that published (one without a post address, two
days old) each relying on one consent, 1 % of those consents withdrawn with an open removal
task, and a submitted closing for each channel in *closing*. Then it times each sweep the
scheduler runs every minute (`dialogs.flows.build_flows(...).sweeps`): approval reminders,
documentation reminders, consent post-address reminders, removal reminders, closing
reminders and the editor reachability check, each run R times in a fresh session that is
rolled back afterwards (so each run finds the same work: the first sweep after a quiet
period, capped per sweep by the policy). The figure is the whole sweep: its selection and the
cards it queues (with the per-card cost). Separately it times each new sweep's selection
alone, the query that finds what is due: target (DESIGN.md) under 100 ms at p95.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.common import environment, percentile, positive
from bench.reminder_sweep import import_bot
from bench.sweep_data import Shape, fresh_database, load
from bench.sweep_report import rss_mb
from domain.clock import FixedClock
from domain.lifecycle import ChannelStatus
from domain.policy import Policy
from storage.db import create_engine, session_factory
from storage.migrate import upgrade_head
from storage.models import (
    ChannelClosingRow,
    ChannelRow,
    ConsentCheckConsentRow,
    ConsentCheckRow,
    ConsentRow,
    RemovalTaskRow,
)

TARGET_MS = 100.0
WARMUP = 3
BATCH = 5_000


async def load_consents(engine: AsyncEngine, now: datetime, seed: int) -> dict[str, int]:
    """Three published checks per active channel, one consent each; 1 % withdrawn with a task."""
    rng = random.Random(seed)
    async with engine.connect() as connection:
        active = list(
            await connection.scalars(
                select(ChannelRow.id).where(ChannelRow.status == ChannelStatus.ACTIVE.value)
            )
        )
        closing = list(
            await connection.scalars(
                select(ChannelRow.id).where(ChannelRow.status == ChannelStatus.CLOSING.value)
            )
        )
    counts = {"consents": 0, "checks": 0, "removal_tasks": 0, "closings": 0}
    ident = 0
    for start in range(0, len(active), BATCH // 3):
        consents, checks, links, tasks = [], [], [], []
        for channel_id in active[start : start + BATCH // 3]:
            for n in range(3):
                ident += 1
                withdrawn = rng.random() < 0.01
                checked = now - timedelta(days=rng.randint(0, 400))
                consents.append(
                    {
                        "id": ident,
                        "channel_id": channel_id,
                        "subject": f"Elev {ident}",
                        "minor": n == 0,
                        "guardian": "Vårdnadshavare" if n == 0 else None,
                        "scope": "several_contexts",
                        "form": "written",
                        "document_reference": f"Pärm {ident}",
                        "status": "withdrawn" if withdrawn else "active",
                        "recorded_at": checked,
                        "details": {},
                    }
                )
                recent = n == 0  # the newest check's address is not given yet
                checks.append(
                    {
                        "id": ident,
                        "channel_id": channel_id,
                        "answers": {},
                        "outcome": "publish",
                        "missing": {},
                        "checked_at": now - timedelta(days=2, minutes=rng.randint(60, 40_000))
                        if recent
                        else checked,
                        "post_address": None
                        if recent
                        else f"https://www.instagram.com/p/{ident}/",
                        "post_recorded_at": None if recent else checked,
                        "post_reminders": 0,
                        "details": {},
                    }
                )
                links.append({"check_id": ident, "consent_id": ident})
                if withdrawn:
                    tasks.append(
                        {
                            "consent_id": ident,
                            "check_id": ident,
                            "channel_id": channel_id,
                            "status": "open",
                            "created_at": now - timedelta(days=rng.randint(0, 10)),
                            "details": {},
                        }
                    )
        async with engine.begin() as connection:
            await connection.execute(insert(ConsentRow), consents)
            await connection.execute(insert(ConsentCheckRow), checks)
            await connection.execute(insert(ConsentCheckConsentRow), links)
            if tasks:
                await connection.execute(insert(RemovalTaskRow), tasks)
        counts["consents"] += len(consents)
        counts["checks"] += len(checks)
        counts["removal_tasks"] += len(tasks)
    if closing:
        async with engine.begin() as connection:
            await connection.execute(
                insert(ChannelClosingRow),
                [
                    {
                        "channel_id": channel_id,
                        "status": "submitted",
                        "started_at": now - timedelta(days=5),
                        "submitted_at": now - timedelta(days=4),
                        "details": {},
                    }
                    for channel_id in closing
                ],
            )
        counts["closings"] = len(closing)
    if engine.dialect.name == "postgresql":
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            for table in ("consents", "consent_checks", "removal_tasks"):
                await connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT coalesce(max(id), 1) FROM {table}))"
                )
            await connection.exec_driver_sql("ANALYZE")
    return counts


class _NoDocuments:
    """The sweeps build no plan documents; links are not followed here."""

    async def store_plan(self, *_args: Any, **_kwargs: Any) -> tuple[str, str]:
        raise NotImplementedError

    async def store_file(self, *_args: Any, **_kwargs: Any) -> tuple[str, str]:
        raise NotImplementedError

    def link(self, key: str, ttl: timedelta) -> str:
        return f"https://kanalkollen.example/files/{key}"

    def route_link(self, path: str, ttl: timedelta) -> str:
        return f"https://kanalkollen.example{path}"


async def measure(engine: AsyncEngine, now: datetime, runs: int) -> dict[str, Any]:
    """Times every sweep `runs` times, each in a session rolled back afterwards."""
    from dialogs.dialog_runner import DialogRunner
    from dialogs.flows import build_flows
    from dialogs.services import FlowServices, NoDirectory
    from dialogs.state import DialogStates
    from storage.bot_state import SqlStorage

    sessions = session_factory(engine)
    services = FlowServices(
        sessions=sessions,
        clock=FixedClock(now),
        policy=Policy(),
        directory=NoDirectory(),
        documents=_NoDocuments(),
        wake_delivery=lambda: None,
    )
    state = DialogStates(SqlStorage(sessions, FixedClock(now)))
    flows = build_flows(
        services, "https://kanalkollen.example/registry.csv", DialogRunner(state, {})
    )
    result: dict[str, Any] = {}
    for name, sweep in flows.sweeps.items():
        samples = []
        queued = 0
        for _ in range(runs):
            async with sessions() as session:
                started = time.perf_counter()
                queued = await sweep(session)
                await session.flush()
                samples.append((time.perf_counter() - started) * 1000)
                await session.rollback()
        ordered = sorted(samples)
        result[name] = {
            "queued": queued,
            "median_ms": round(statistics.median(ordered), 2),
            "p95_ms": round(percentile(ordered, 95), 2),
            "max_ms": round(ordered[-1], 2),
        }
    return result


async def measure_selection(engine: AsyncEngine, now: datetime, runs: int) -> dict[str, Any]:
    """Times the selections the new sweeps make, each in a fresh session."""
    from storage.consents import posts_without_address, tasks_needing_attention

    policy = Policy()
    sessions = session_factory(engine)
    live = (ChannelStatus.ACTIVE.value, ChannelStatus.CLOSING.value)

    async def post_addresses(session: Any) -> int:
        days = policy.consent.post_address_reminder_days
        return len(await posts_without_address(session, now - timedelta(days=days), 500))

    async def removal_reminders(session: Any) -> int:
        days = policy.consent.removal_reminder_days
        found = await tasks_needing_attention(
            session, remind_before=now - timedelta(days=days), limit=500
        )
        return len(found)

    async def closings_waiting(session: Any) -> int:
        before = now - timedelta(days=policy.records.closing_reminder_days)
        rows = await session.scalars(
            select(ChannelClosingRow.id)
            .where(ChannelClosingRow.status == "submitted")
            .where(ChannelClosingRow.submitted_at <= before)
            .limit(500)
        )
        return len(list(rows))

    async def undeliverable_editors(session: Any) -> int:
        from storage.models import ChannelEditorRow, PersonRow

        editors = (
            select(ChannelEditorRow.person_id)
            .join(ChannelRow, ChannelRow.id == ChannelEditorRow.channel_id)
            .where(ChannelEditorRow.status == "accepted")
            .where(ChannelRow.status.in_(live))
        )
        recent = list(
            await session.scalars(
                select(PersonRow.id).where(PersonRow.undeliverable_at >= now - timedelta(days=1))
            )
        )
        if not recent:
            return 0
        rows = await session.scalars(
            editors.where(ChannelEditorRow.person_id.in_(recent)).distinct()
        )
        return len(list(rows))

    result: dict[str, Any] = {}
    for name, select_due in (
        ("consent_post_reminders", post_addresses),
        ("removal_reminders", removal_reminders),
        ("closing_reminders", closings_waiting),
        ("editor_reachability", undeliverable_editors),
    ):
        samples = []
        rows = 0
        for run in range(runs + WARMUP):
            async with sessions() as session:
                started = time.perf_counter()
                rows = await select_due(session)
                if run >= WARMUP:  # the first runs warm the caches and the plan
                    samples.append((time.perf_counter() - started) * 1000)
        ordered = sorted(samples)
        result[name] = {
            "rows": rows,
            "median_ms": round(statistics.median(ordered), 2),
            "p95_ms": round(percentile(ordered, 95), 2),
        }
    return result


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Creates and loads the database, measures, and returns the result."""
    import_bot()
    # A Tuesday at 10:00 in Stockholm: office hours, so reminders are due now.
    now = datetime(2026, 3, 17, 9, 0, tzinfo=UTC)
    shape = Shape(args.channels, max(10, args.channels // 4), now.date(), now, args.seed)
    with tempfile.TemporaryDirectory(prefix="kk-bench-sweeps-") as folder:
        async with fresh_database(args.database, Path(folder)) as (url, shown):
            engine = create_engine(url)
            try:
                await upgrade_head(engine)
                data = await load(engine, shape)
                data |= await load_consents(engine, now, args.seed)
                async with engine.connect() as connection:
                    data["removal_tasks_open"] = int(
                        await connection.scalar(select(func.count()).select_from(RemovalTaskRow))
                        or 0
                    )
                sweeps = await measure(engine, now, args.runs)
                selection = await measure_selection(engine, now, args.runs * 10)
                memory = rss_mb()
            finally:
                await engine.dispose()
    return {
        "config": {"channels": args.channels, "database": shown, "runs": args.runs},
        "environment": environment(),
        "data": data,
        "sweeps": sweeps,
        "selection": selection,
        "memory": memory,
        "target_ms": TARGET_MS,
        "pass": all(s["p95_ms"] < TARGET_MS for s in selection.values()),
    }


def render(result: dict[str, Any]) -> str:
    lines = [
        f"channels: {result['config']['channels']:,} on {result['config']['database']}",
        "data: " + ", ".join(f"{k}={v}" for k, v in result["data"].items()),
        "",
        "whole sweeps (selection + the cards they queue):",
        f"{'sweep':28} {'queued':>7} {'median ms':>10} {'p95 ms':>8} {'ms/card':>8}",
    ]
    for name, s in result["sweeps"].items():
        per = round(s["median_ms"] / s["queued"], 2) if s["queued"] else "-"
        lines.append(f"{name:28} {s['queued']:>7} {s['median_ms']:>10} {s['p95_ms']:>8} {per:>8}")
    lines += ["", "selection of what is due (the target):"]
    lines.append(f"{'sweep':28} {'rows':>7} {'median ms':>10} {'p95 ms':>8}")
    for name, s in result["selection"].items():
        lines.append(f"{name:28} {s['rows']:>7} {s['median_ms']:>10} {s['p95_ms']:>8}")
    lines += [
        "",
        f"memory: {result['memory']}",
        f"target: every selection p95 < {result['target_ms']} ms: "
        + ("PASS" if result["pass"] else "FAIL"),
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.sweeps", description=__doc__)
    parser.add_argument("--channels", type=positive, default=100_000)
    parser.add_argument("--database", default="sqlite")
    parser.add_argument("--runs", type=positive, default=10)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = asyncio.run(run(args))
    print(json.dumps(result, indent=2) if args.json else render(result))
    return 0 if result["pass"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
