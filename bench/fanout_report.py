"""The fan-out benchmark's figures: rates per second, statuses, attempts, the verdict and
the table."""

from __future__ import annotations

import argparse
import json
import resource
import statistics
from collections import Counter
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bench.common import percentile
from bench.fanout_probe import ROW_IN_TEXT
from storage.models import OutboxRow
from tests.support.connector_emulator import ConnectorEmulator
from tests.support.connector_records import Received

TARGET_SHARE = 0.90

PACE_SHARE = 0.95


async def status_counts(sessions: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    """How many outbox rows are in each status."""
    async with sessions() as session:
        rows = await session.execute(
            select(OutboxRow.status, func.count()).group_by(OutboxRow.status)
        )
        return {str(status): int(n) for status, n in rows.all()}


async def attempts_histogram(sessions: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    """How many rows took 1, 2, ... delivery attempts (a row dies after max_attempts)."""
    async with sessions() as session:
        rows = await session.execute(
            select(OutboxRow.attempts, func.count())
            .group_by(OutboxRow.attempts)
            .order_by(OutboxRow.attempts)
        )
        return {str(attempts): int(n) for attempts, n in rows.all()}


def timing(samples: Sequence[float]) -> dict[str, Any]:
    """Count, mean, p50, p95, max in ms of durations in seconds."""
    ordered = sorted(s * 1000 for s in samples)
    if not ordered:
        return {"calls": 0}
    return {
        "calls": len(ordered),
        "mean_ms": round(statistics.fmean(ordered), 2),
        "p50_ms": round(percentile(ordered, 50), 2),
        "p95_ms": round(percentile(ordered, 95), 2),
        "max_ms": round(ordered[-1], 2),
        "total_s": round(sum(ordered) / 1000, 2),
    }


def cpu_seconds() -> float:
    """User + system CPU time of this process (all threads) so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def per_second(times: Sequence[float], start: float) -> dict[str, Any]:
    """Deliveries in each whole second after `start` (the last, partial second left out)."""
    if not times:
        return {"seconds": 0}
    buckets = Counter(int(t - start) for t in times)
    last = int(max(times) - start)
    counts = [buckets.get(second, 0) for second in range(last)]
    if not counts:
        return {"seconds": 0}
    ordered = sorted(counts)
    return {
        "seconds": len(counts),
        "min": ordered[0],
        "p10": percentile(ordered, 10),
        "median": statistics.median(ordered),
        "max": ordered[-1],
        "first_5": counts[:5],
        "series": counts,
    }


def analyse(
    emulator: ConnectorEmulator, texts: dict[int, str], start: float
) -> tuple[dict[str, Any], list[float]]:
    """Lost, duplicated and throttled rows from the emulator's records."""
    delivered: Counter[int] = Counter()
    foreign = 0
    times: list[float] = []
    throttled: list[Received] = []
    other_errors: Counter[int] = Counter()
    for record in emulator.requests:
        if not record.ok:
            if record.status == 429:
                throttled.append(record)
            else:
                other_errors[record.status] += 1
            continue
        if record.operation not in ("send", "reply"):
            continue
        match = ROW_IN_TEXT.search(record.text or "")
        row_id = int(match.group(1)) if match else None
        if row_id is None or row_id not in texts:
            foreign += 1
            continue
        delivered[row_id] += 1
        times.append(record.at)
    first_429 = min((r.at for r in throttled), default=None)
    last_429 = max((r.at for r in throttled), default=None)
    checks = {
        "queued": len(texts),
        "received": sum(delivered.values()),
        "distinct_received": len(delivered),
        "lost": len(texts) - len(delivered),
        "duplicated": sum(1 for n in delivered.values() if n > 1),
        "foreign": foreign,
        "throttled_429": len(throttled),
        "first_429_s": round(first_429 - start, 2) if first_429 is not None else None,
        "last_429_s": round(last_429 - start, 2) if last_429 is not None else None,
        "throttled_per_second": dict(
            sorted(Counter(int(r.at - start) for r in throttled).items())
        ),
        "other_errors": {str(k): v for k, v in sorted(other_errors.items())},
        "requests": len(emulator.requests),
    }
    return checks, sorted(times)


def render(result: dict[str, Any]) -> str:
    """The human-readable report: setup, delivery, where the time goes, targets."""
    config, env = result["config"], result["environment"]
    delivery, checks, parts = result["delivery"], result["checks"], result["parts"]
    targets = result["targets"]
    policy = config["policy"]
    spread = delivery["per_second"]
    lines = [
        f"messages: {config['messages']:,} to {config['messages']:,} people, emulator limit "
        f"{config['limit_per_second']:g}/s global (429, Retry-After "
        f"{config['retry_after_s']:g} s), database {config['database']}",
        f"policy: per tenant {policy['per_tenant_per_second']:g}/s, per conversation "
        f"{policy['per_conversation_per_second']:g}/s, batch {policy['batch_size']}, "
        f"max attempts {policy['max_attempts']}; {config['concurrent_conversations']} "
        f"conversations at once"
        + (
            f"; PATCHED PACER ({', '.join(config['pacer_patches'])})"
            if config["pacer_patches"]
            else ""
        ),
        f"python {env['python']}, agents sdk {env['agents_sdk']}, sqlalchemy "
        f"{env['sqlalchemy']}, {env['cpus']} CPUs, load {env['load_average']} at start, "
        f"git {env['git']}",
        f"seeded people, references and outbox rows in {result['seed_seconds']:.1f} s",
        "",
        f"{'delivered':<34} {delivery['delivered']:>8,} of {checks['queued']:,}",
        f"{'last delivery after':<34} {delivery['last_delivery_s']:>8.1f} s "
        f"(loop stopped after {result['wall_s']:.1f} s)",
        f"{'rate (delivered / last delivery)':<34} {delivery['rate_per_s']:>8.2f} /s "
        f"= {delivery['share_of_limit']:.1%} of {config['limit_per_second']:g}/s",
        f"{'steady rate (first to last)':<34} {delivery['steady_rate_per_s']:>8.2f} /s",
    ]
    if spread.get("seconds"):
        lines.append(
            f"{'deliveries per whole second':<34} min {spread['min']}, p10 {spread['p10']}, "
            f"median {spread['median']:g}, max {spread['max']} over {spread['seconds']} s "
            f"(first 5 s: {spread['first_5']})"
        )
    when = (
        f" (first after {checks['first_429_s']} s, last after {checks['last_429_s']} s)"
        if checks["throttled_429"]
        else ""
    )
    lines += [
        f"{'429s received':<34} {checks['throttled_429']:>8,}{when}",
        f"{'other error answers':<34} {json.dumps(checks['other_errors'])}",
        f"outbox rows by status: {json.dumps(result['outbox'], sort_keys=True)}; "
        f"rows by attempts taken: {json.dumps(result['attempts_per_row'])} "
        f"(dead after {policy['max_attempts']})",
        "",
        f"{'part (per call)':<36} {'calls':>6} {'mean ms':>8} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'max ms':>8}",
    ]
    labels = {
        "deliver": "one row: pacer + send + mark sent",
        "pacer": "  wait in the pacer (tenant, conv.)",
        "send": "  TeamsSender.deliver (SDK + POST)",
        "mark_sent": "  mark sent (1 transaction)",
        "claim": "claim a batch (1 transaction)",
    }
    for key, label in labels.items():
        row = parts[key]
        if not row.get("calls"):
            lines.append(f"{label:<36} {0:>6}")
            continue
        lines.append(
            f"{label:<36} {row['calls']:>6} {row['mean_ms']:>8.2f} {row['p50_ms']:>8.2f} "
            f"{row['p95_ms']:>8.2f} {row['max_ms']:>8.2f}"
        )
    lines += [
        f"sends in flight at most: {parts['max_sends_in_flight']} of the loop's "
        f"{config['concurrent_conversations']}; a row holds a slot {parts['slot_ms']:.1f} ms "
        f"(send + mark sent) -> {config['concurrent_conversations']} slots carry at most "
        f"{parts['slot_ceiling_per_s']:g}/s at that latency",
        f"process CPU {parts['cpu_s']:.1f} s in {result['wall_s']:.1f} s "
        f"({parts['cpu_share_of_one_core']:.0%} of one core), "
        f"{parts['cpu_ms_per_attempt']:.1f} ms per attempt -> one core carries at most "
        f"{parts['cpu_ceiling_per_s']:g}/s",
    ]
    if result["logs"]:
        lines.append("delivery log records:")
        lines += [f"  {n:>6} x {message}" for message, n in result["logs"].items()]

    def mark(ok: bool) -> str:
        return "PASS" if ok else "FAIL"

    lines += [
        "",
        f"{'target':<34} {'measured':>10}  result",
        f"{'rate >= 90 % of the limit':<34} {delivery['share_of_limit']:>10.1%}  "
        f"{mark(targets['share_pass'])}",
        f"{'lost = 0':<34} {max(checks['lost'], checks['not_sent_rows']):>10}  "
        f"{mark(targets['lost_pass'])}",
        f"{'duplicated = 0':<34} {checks['duplicated']:>10}  {mark(targets['duplicated_pass'])}",
    ]
    if not result["complete"]:
        lines.append(
            f"STOPPED by the {config['max_seconds']}s deadline before every row was settled: "
            "figures are partial"
        )
    return "\n".join(lines)


def _rate(raw: str) -> float:
    value = float(raw)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0, not {raw}")
    return value
