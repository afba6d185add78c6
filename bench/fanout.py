"""Fan-out benchmark: N due reminders through the real delivery loop to a rate-limited emulator.

Run from the repository root::

    .venv/bin/python -m bench.fanout [--messages N] [--limit-per-second R] [--json]

In this process, on loopback:

* a `ConnectorEmulator` (tests/support) that answers 429 with `Retry-After: 1` above R
  requests a second (`emu.rate_limit(R, scope="global", retry_after=1.0)`, a sliding
  one-second window over every request);
* a fresh SQLite file (WAL, as in production) migrated with `storage.migrate.upgrade_head`,
  holding N people, each with a stored personal conversation reference that points at the
  emulator (the dict the turn recorder stores: the SDK's `get_conversation_reference` of a
  Teams message, serialised);
* N outbox rows, queued with `storage.outbox.enqueue` (kind TEAMS_MESSAGE, one per person,
  the row's id in the text, so the emulator's records tell every row apart);
* the real delivery loop, `bot.delivery.loop.build_delivery_loop` with the app's adapter
  (`build_adapter(Settings())`, local mode: no tokens), the system clock
  and the default `DeliveryPolicy` except `per_tenant_per_second` (0.95 x R unless
  `--pace-per-second`), started as the app starts it, until every row is sent or given up
  (dead, undeliverable) or `--max-seconds` pass.

Figures: the delivery rate (rows delivered / time from the loop's start to the last
delivery) as a share of R, 429s received, rows lost (queued but never received by the
emulator) and duplicated (received more than once), and where a delivery's time goes
(latency of one send, time waiting for the pacer, the claims, the process's CPU), to tell
whether the loop's 8 concurrent conversations can reach R.

Exit status: 0 when every target passes, 1 when one fails, 2 when the run itself broke (or
was stopped by `--max-seconds` before every row was settled).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bench.common import environment
from bench.common import positive as _positive
from bench.fanout_probe import Probe, counting_logs, patched_pacer, seed
from bench.fanout_report import (
    PACE_SHARE,
    TARGET_SHARE,
    _rate,
    analyse,
    attempts_histogram,
    cpu_seconds,
    per_second,
    render,
    status_counts,
    timing,
)
from bot.delivery import loop as delivery_module
from bot.delivery.loop import CONCURRENT_CONVERSATIONS, DeliveryLoop, build_delivery_loop
from bot.settings import Settings
from bot.teams.adapter import build_adapter
from domain.clock import SystemClock
from domain.outbox import OutboxStatus
from domain.policy import DeliveryPolicy
from storage.db import create_engine, session_factory
from storage.migrate import upgrade_head
from tests.support.connector_emulator import ConnectorEmulator

RETRY_AFTER_SECONDS = 1.0

SETTLED = (OutboxStatus.SENT, OutboxStatus.DEAD, OutboxStatus.UNDELIVERABLE)


class BenchError(RuntimeError):
    """The benchmark could not measure what it set out to."""


async def deliver_all(
    loop: DeliveryLoop,
    sessions: async_sessionmaker[AsyncSession],
    total: int,
    deadline: float,
) -> tuple[bool, dict[str, int]]:
    """Runs the loop as the app does until every row is settled or the deadline passes."""
    loop.start()
    try:
        while True:
            await asyncio.sleep(0.5)
            counts = await status_counts(sessions)
            if sum(counts.get(s.value, 0) for s in SETTLED) >= total:
                return True, counts
            if time.monotonic() > deadline:
                return False, counts
    finally:
        await loop.stop(grace_seconds=5.0)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Starts the emulator, seeds the database, delivers everything and returns the result."""
    limit = args.limit_per_second
    pace = args.pace_per_second or PACE_SHARE * limit
    max_seconds = args.max_seconds or (2.0 * args.messages / limit + 60.0)
    policy = DeliveryPolicy(per_tenant_per_second=pace)
    measured_on = environment()
    clock = SystemClock()
    with tempfile.TemporaryDirectory(prefix="kk-bench-fanout-") as folder:
        engine = create_engine(f"sqlite+aiosqlite:///{Path(folder) / 'kanalkollen.db'}")
        try:
            await upgrade_head(engine)
            sessions = session_factory(engine)
            async with ConnectorEmulator() as emulator:
                texts, seed_seconds = await seed(
                    sessions, args.messages, emulator.service_url, clock.now()
                )
                emulator.rate_limit(limit, scope="global", retry_after=RETRY_AFTER_SECONDS)
                with (
                    patched_pacer(args.patch_pacer_burst, args.patch_pacer_block) as patches,
                    counting_logs(["bot.delivery.loop", "bot.delivery.proactive"]) as logs,
                    Probe() as probe,
                ):
                    adapter = build_adapter(Settings())
                    loop = build_delivery_loop(
                        adapter=adapter,
                        app_id="",
                        default_service_url=emulator.service_url,
                        sessions=sessions,
                        clock=clock,
                        policy=policy,
                    )
                    cpu_before = cpu_seconds()
                    start = time.monotonic()
                    try:
                        complete, counts = await deliver_all(
                            loop, sessions, args.messages, start + max_seconds
                        )
                    finally:
                        await adapter.http.close()
                    wall = time.monotonic() - start
                    cpu = cpu_seconds() - cpu_before
                checks, times = analyse(emulator, texts, start)
                attempts_per_row = await attempts_histogram(sessions)
        finally:
            await engine.dispose()
    delivered = checks["received"]
    span = (times[-1] - start) if times else math.nan
    rate = delivered / span if times else 0.0
    steady = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else math.nan
    share = rate / limit
    attempts = len(probe.seconds["deliver"])
    # A row holds one of the loop's slots from its pacer grant through the send and the
    # mark-sent transaction; one core runs the event loop (the SDK's POST runs in a thread,
    # but under the GIL).
    slot = (sum(probe.seconds["deliver"]) - sum(probe.seconds["pacer"])) / attempts
    cpu_per_attempt = cpu / attempts if attempts else math.nan
    not_sent = args.messages - counts.get(OutboxStatus.SENT.value, 0)
    return {
        "config": {
            "messages": args.messages,
            "limit_per_second": limit,
            "retry_after_s": RETRY_AFTER_SECONDS,
            "pace_per_second": round(pace, 3),
            "policy": {
                "per_tenant_per_second": round(policy.per_tenant_per_second, 3),
                "per_conversation_per_second": policy.per_conversation_per_second,
                "batch_size": policy.batch_size,
                "max_attempts": policy.max_attempts,
                "lease_seconds": policy.lease_seconds,
            },
            "concurrent_conversations": CONCURRENT_CONVERSATIONS,
            "poll_seconds": delivery_module.POLL_SECONDS,
            "max_seconds": round(max_seconds, 1),
            "database": "sqlite (fresh temp file)",
            "pacer_patches": patches,
        },
        "environment": measured_on,
        "seed_seconds": round(seed_seconds, 2),
        "complete": complete,
        "wall_s": round(wall, 2),
        "delivery": {
            "delivered": delivered,
            "last_delivery_s": round(span, 2),
            "rate_per_s": round(rate, 2),
            "share_of_limit": round(share, 4),
            "steady_rate_per_s": round(steady, 2),
            "per_second": per_second(times, start),
        },
        "outbox": counts,
        "attempts_per_row": attempts_per_row,
        "checks": {**checks, "not_sent_rows": not_sent},
        "parts": {
            "deliver": timing(probe.seconds["deliver"]),
            "pacer": timing(probe.seconds["pacer"]),
            "send": timing(probe.seconds["send"]),
            "claim": timing(probe.seconds["claim"]),
            "mark_sent": timing(probe.seconds["mark_sent"]),
            "max_sends_in_flight": probe.max_in_flight,
            "slot_ms": round(slot * 1000, 2) if attempts else math.nan,
            "slot_ceiling_per_s": round(CONCURRENT_CONVERSATIONS / slot, 1)
            if attempts and slot
            else math.nan,
            "cpu_ms_per_attempt": round(cpu_per_attempt * 1000, 2),
            "cpu_ceiling_per_s": round(1 / cpu_per_attempt, 1) if attempts else math.nan,
            "cpu_s": round(cpu, 2),
            "cpu_share_of_one_core": round(cpu / wall, 3) if wall else math.nan,
        },
        "logs": dict(logs.counts.most_common()),
        "targets": {
            "share_min": TARGET_SHARE,
            "share_pass": share >= TARGET_SHARE,
            "lost_pass": checks["lost"] == 0 and not_sent == 0,
            "duplicated_pass": checks["duplicated"] == 0,
        },
    }


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.fanout",
        description="Deliver N due reminders through the real delivery loop to the connector "
        "emulator answering 429 above a rate; the rate achieved, 429s, lost and duplicated.",
    )
    parser.add_argument(
        "--messages", type=_positive, default=5000, help="outbox rows, one per person (5000)"
    )
    parser.add_argument(
        "--limit-per-second",
        type=_rate,
        default=30.0,
        help="the emulator answers 429 above this many requests a second (30)",
    )
    parser.add_argument(
        "--pace-per-second",
        type=_rate,
        default=None,
        help="DeliveryPolicy.per_tenant_per_second (0.95 x --limit-per-second)",
    )
    parser.add_argument(
        "--max-seconds",
        type=_rate,
        default=None,
        help="stop after this many seconds of delivery (2 x messages / limit + 60)",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument(
        "--patch-pacer-burst",
        type=_rate,
        default=None,
        help="bench-only patch, not the stock pacer: buckets hold at most this many tokens "
        "(stock: max(1, rate))",
    )
    parser.add_argument(
        "--patch-pacer-block",
        action="store_true",
        help="bench-only patch, not the stock pacer: after a 429 blocks a bucket, it refills "
        "from the end of the block rather than from its last grant",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the benchmark and prints the report; the exit status tells PASS (0) / FAIL (1)."""
    args = _parser().parse_args(argv)
    budget = (args.max_seconds or 2.0 * args.messages / args.limit_per_second + 60.0) + 180.0
    try:
        result = asyncio.run(asyncio.wait_for(run(args), timeout=budget))
    except (BenchError, TimeoutError) as error:
        print(f"bench.fanout: {error or 'the run took too long'}", file=sys.stderr)
        return 2
    except (OSError, SQLAlchemyError) as error:
        print(f"bench.fanout: could not start or reach a service: {error!r}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        print(render(result))
    if not result["complete"]:
        return 2
    return 0 if all(v for k, v in result["targets"].items() if k.endswith("_pass")) else 1


if __name__ == "__main__":
    sys.exit(main())
