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
import contextlib
import functools
import json
import logging
import math
import re
import resource
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from microsoft_agents.activity import Activity
from sqlalchemy import func, insert, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bench.common import environment, percentile
from bench.common import positive as _positive
from bot.delivery import loop as delivery_module
from bot.delivery.loop import CONCURRENT_CONVERSATIONS, DeliveryLoop, build_delivery_loop
from bot.delivery.pacing import Pacer
from bot.delivery.proactive import TeamsSender
from bot.settings import Settings
from bot.teams.adapter import build_adapter
from bot.teams.turn_recorder import reference_of
from domain.clock import SystemClock
from domain.outbox import OutboxKind, OutboxStatus
from domain.policy import DeliveryPolicy
from storage.db import create_engine, session_factory
from storage.migrate import upgrade_head
from storage.models import ConversationReferenceRow, OutboxRow, PersonRow
from storage.outbox import OutboxStore, enqueue
from tests.support.connector_emulator import ConnectorEmulator
from tests.support.connector_records import Received
from tests.support.factories import TeamsUser, make_message, make_user

TARGET_SHARE = 0.90
PACE_SHARE = 0.95
RETRY_AFTER_SECONDS = 1.0
SETTLED = (OutboxStatus.SENT, OutboxStatus.DEAD, OutboxStatus.UNDELIVERABLE)
TEXT = "Dags att dokumentera kanalen (bench outbox #{row_id})"
ROW_IN_TEXT = re.compile(r"\(bench outbox #(\d+)\)")
BATCH = 1_000


class BenchError(RuntimeError):
    """The benchmark could not measure what it set out to."""


# ----------------------------------------------------------------------------- the data


def conversation_reference(user: TeamsUser, service_url: str) -> dict[str, Any]:
    """The reference the turn recorder stores for a user's personal chat.

    What the recorder stores for a Teams message: no activity id (a proactive message is a
    new message) and the tenant on the conversation.
    """
    activity = Activity.model_validate(make_message("hej", user=user, service_url=service_url))
    return reference_of(activity, user.tenant_id)


async def seed(
    sessions: async_sessionmaker[AsyncSession], count: int, service_url: str, now: datetime
) -> tuple[dict[int, str], float]:
    """Inserts N people with their personal conversation references and queues one outbox
    row for each; returns ({row id: text}, seconds taken)."""
    started = time.perf_counter()
    users = [make_user(index) for index in range(1, count + 1)]
    for first in range(0, count, BATCH):
        people: list[dict[str, Any]] = []
        references: list[dict[str, Any]] = []
        for offset, user in enumerate(users[first : first + BATCH]):
            person_id = first + offset + 1
            people.append(
                {
                    "id": person_id,
                    "tenant_id": user.tenant_id,
                    "aad_object_id": user.aad_object_id,
                    "teams_user_id": user.user_id,
                    "name": user.name,
                    "email": user.email,
                    "locale": "sv-SE",
                    "created_at": now,
                    "updated_at": now,
                }
            )
            references.append(
                {
                    "conversation_id": user.conversation_id,
                    "conversation_type": "personal",
                    "tenant_id": user.tenant_id,
                    "person_id": person_id,
                    "service_url": service_url,
                    "channel_id": "msteams",
                    "reference": conversation_reference(user, service_url),
                    "updated_at": now,
                }
            )
        async with sessions.begin() as session:
            await session.execute(insert(PersonRow), people)
            await session.execute(insert(ConversationReferenceRow), references)
    texts: dict[int, str] = {}
    for first in range(0, count, BATCH):
        async with sessions.begin() as session:
            rows = [
                enqueue(
                    session,
                    kind=OutboxKind.TEAMS_MESSAGE,
                    payload={},
                    now=now,
                    tenant_id=user.tenant_id,
                    recipient_person_id=first + offset + 1,
                )
                for offset, user in enumerate(users[first : first + BATCH])
            ]
            await session.flush()
            for row in rows:
                texts[row.id] = TEXT.format(row_id=row.id)
                row.payload = {"activity": {"type": "message", "text": texts[row.id]}}
    return texts, time.perf_counter() - started


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


# ------------------------------------------------------------------- bench-only patches


@contextlib.contextmanager
def patched_pacer(burst: float | None, block_restarts_refill: bool) -> Iterator[list[str]]:
    """Changes bot.delivery.pacing.Pacer in this process for the run (not the stock pacer).

    `burst`: every bucket holds at most this many tokens, instead of `max(1, rate)`.
    `block_restarts_refill`: after `block()` (a 429's Retry-After) the bucket refills from
    the end of the block, instead of from its last grant, so a block does not end in a
    full-bucket burst. Yields the descriptions of the patches made.
    """
    made: list[str] = []
    original_init = Pacer.__init__
    original_block = Pacer.block
    if burst is not None:

        def init(
            self: Pacer,
            rate_per_second: float,
            *,
            burst: float | None = None,
            monotonic: Callable[[], float] = time.monotonic,
        ) -> None:
            original_init(self, rate_per_second, burst=forced, monotonic=monotonic)

        forced = burst
        Pacer.__init__ = init  # type: ignore[method-assign]
        made.append(f"burst {burst:g}")
    if block_restarts_refill:

        def block(self: Pacer, key: str, seconds: float) -> None:
            original_block(self, key, seconds)
            bucket = self._bucket(key)
            bucket.updated = max(bucket.updated, bucket.blocked_until)

        Pacer.block = block  # type: ignore[method-assign]
        made.append("block restarts the refill")
    try:
        yield made
    finally:
        Pacer.__init__ = original_init  # type: ignore[method-assign]
        Pacer.block = original_block  # type: ignore[method-assign]


# ----------------------------------------------------------------------------- measuring


@dataclass
class Probe:
    """Wraps a few delivery functions for the run and records what each call took."""

    seconds: defaultdict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    in_flight: int = 0
    max_in_flight: int = 0
    _restore: list[tuple[Any, str, Any]] = field(default_factory=list)

    def _wrap(
        self, label: str, function: Callable[..., Awaitable[Any]], count_flight: bool
    ) -> Callable[..., Awaitable[Any]]:
        @functools.wraps(function)
        async def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            if count_flight:
                self.in_flight += 1
                self.max_in_flight = max(self.max_in_flight, self.in_flight)
            try:
                return await function(*args, **kwargs)
            finally:
                if count_flight:
                    self.in_flight -= 1
                self.seconds[label].append(time.perf_counter() - start)

        return timed

    def __enter__(self) -> Probe:
        # (owner, attribute, label, count the calls in flight)
        targets: tuple[tuple[Any, str, str, bool], ...] = (
            (DeliveryLoop, "_deliver", "deliver", False),
            (Pacer, "acquire", "pacer", False),
            (TeamsSender, "deliver", "send", True),
            (OutboxStore, "claim", "claim", False),
            (OutboxStore, "mark_sent", "mark_sent", False),
        )
        for owner, attribute, label, count_flight in targets:
            function = owner.__dict__[attribute]
            self._restore.append((owner, attribute, function))
            setattr(owner, attribute, self._wrap(label, function, count_flight))
        return self

    def __exit__(self, *_exc: object) -> None:
        for owner, attribute, function in reversed(self._restore):
            setattr(owner, attribute, function)
        self._restore.clear()


class LogCounter(logging.Handler):
    """Counts the delivery loop's log records by their message template (kept off stderr)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.counts: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        self.counts[f"{record.levelname} {record.name}: {record.msg}"] += 1


@contextlib.contextmanager
def counting_logs(names: Sequence[str]) -> Any:
    """Sends these loggers' records to a counter instead of stderr, for the run."""
    counter = LogCounter()
    saved = []
    for name in names:
        logger = logging.getLogger(name)
        saved.append((logger, logger.propagate, logger.level))
        logger.addHandler(counter)
        logger.propagate = False
        logger.setLevel(logging.INFO)
    try:
        yield counter
    finally:
        for logger, propagate, level in saved:
            logger.removeHandler(counter)
            logger.propagate = propagate
            logger.setLevel(level)


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
                    loop = build_delivery_loop(
                        adapter=build_adapter(Settings()),
                        app_id="",
                        default_service_url=emulator.service_url,
                        sessions=sessions,
                        clock=clock,
                        policy=policy,
                    )
                    cpu_before = cpu_seconds()
                    start = time.monotonic()
                    complete, counts = await deliver_all(
                        loop, sessions, args.messages, start + max_seconds
                    )
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


# ------------------------------------------------------------------------------ reporting


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


# ---------------------------------------------------------------------------------- main


def _rate(raw: str) -> float:
    value = float(raw)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0, not {raw}")
    return value


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
