"""Turn benchmark: a `hjälp` turn of Kanalkollen against a bare echo bot on the same SDK.

Run from the repository root::

    .venv/bin/python -m bench.turns [--turns N] [--warmup N] [--concurrency C]
                                    [--database sqlite|URL] [--json] [--profile]

Both bots run in this process on loopback ports, next to one `ConnectorEmulator` that
receives both bots' replies:

* Kanalkollen: the real `create_app` (local mode, no app id) on a fresh SQLite file in a
  temporary folder, or on the database URL given with `--database`.
* Echo: a bare `ActivityHandler` that replies with the text it got, served the way the SDK's
  samples do: `CloudAdapter(ConfigurationBotFrameworkAuthentication(config))` and an aiohttp
  route that calls `adapter.process(request, bot)`.

A turn is one POST of a Teams-shaped personal-chat message to /api/messages. Its latency runs
from just before the POST to the moment the emulator recorded the reply (`Received.at`, the
same monotonic clock). The SDK sends the reply inline, before the POST is answered; the
benchmark checks that for every turn and reports any turn where it was not so.

The two bots take turns in blocks (one turn each when sequential), in ABBA order, so machine
noise hits both alike. Client, emulator and both bots share this process's event loop, so the
client's and the emulator's own work is in both bots' figures alike. Each bot serves its turns
to `--users` synthetic users in turn, so Kanalkollen's per-turn upserts update existing rows
rather than one hot row. The warm-up first gives every user one turn, one at a time (first
contact inserts rows and is not what is measured), then runs `--warmup` turns per bot as
measured. `--profile` afterwards times the parts of a turn on both bots and profiles
Kanalkollen's turns.

Exit status: 0 when both targets pass, 1 when one fails, 2 when the run itself broke.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import functools
import importlib
import inspect
import io
import json
import math
import pstats
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiohttp
from aiohttp import web
from botbuilder.core import ActivityHandler, MessageFactory, TurnContext
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
    aiohttp_error_middleware,
)
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.common import environment, percentile
from bench.common import positive as _positive
from bot.app import ENGINE, create_app
from bot.settings import Settings
from tests.support.connector_emulator import ConnectorEmulator
from tests.support.connector_records import ADAPTIVE_CARD, Received
from tests.support.factories import TeamsUser, make_message, make_user

TEXT = "hjälp"
HELP_TITLE = "Det här kan Kanalkollen"
TARGET_P50_RATIO = 2.0
TARGET_P99_MS = 50.0
KANALKOLLEN = "kanalkollen"
ECHO = "echo"
HEADERS = {"Content-Type": "application/json"}


class BenchError(RuntimeError):
    """The benchmark could not measure what it set out to (a bad reply, a timeout)."""


# ------------------------------------------------------------------------------ the bots


class EchoBot(ActivityHandler):  # type: ignore[misc]
    """The SDK's echo sample without the greeting: replies with the text it got."""

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        """Echoes the message text back into the conversation."""
        await turn_context.send_activity(MessageFactory.text(turn_context.activity.text))


def create_echo_app() -> web.Application:
    """The echo bot served as the SDK's aiohttp samples serve a bot (no app id)."""
    config = SimpleNamespace(APP_ID="", APP_PASSWORD="", APP_TYPE="MultiTenant", APP_TENANTID="")
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(config))
    bot = EchoBot()

    async def messages(request: web.Request) -> web.StreamResponse:
        response: web.StreamResponse = await adapter.process(request, bot)
        return response

    app = web.Application(middlewares=[aiohttp_error_middleware])
    app.router.add_post("/api/messages", messages)
    return app


@contextlib.asynccontextmanager
async def serve(app: web.Application) -> AsyncIterator[str]:
    """Serves an app on a loopback port (startup and cleanup included); yields its URL."""
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = int(runner.addresses[0][1])
        yield f"http://127.0.0.1:{port}/api/messages"
    finally:
        await runner.cleanup()


def _is_help_card(reply: dict[str, Any]) -> bool:
    for attachment in reply.get("attachments") or []:
        content = attachment.get("content") or {}
        if attachment.get("contentType") == ADAPTIVE_CARD and content.get("body"):
            return bool(content["body"][0].get("text") == HELP_TITLE)
    return False


def _is_echo(reply: dict[str, Any]) -> bool:
    return reply.get("text") == TEXT


# ----------------------------------------------------------------------------- measuring


class Replies:
    """Finds the emulator's record of the reply to an inbound activity, by its replyToId."""

    def __init__(self, emulator: ConnectorEmulator) -> None:
        self._emulator = emulator
        self._cursor = 0
        self._by_reply_to: dict[str, Received] = {}

    def _scan(self) -> None:
        requests = self._emulator.requests
        while self._cursor < len(requests):
            record = requests[self._cursor]
            self._cursor += 1
            if record.ok and record.operation in ("send", "reply") and record.body is not None:
                key = record.body.get("replyToId") or record.activity_id
                if key:
                    self._by_reply_to.setdefault(str(key), record)

    def take(self, activity_id: str) -> Received | None:
        """Returns (and forgets) the reply to an activity if the emulator has it already."""
        self._scan()
        return self._by_reply_to.pop(activity_id, None)

    async def wait(self, activity_id: str, seconds: float) -> Received:
        """Waits for the reply to an activity; BenchError after `seconds`."""
        found: list[Received] = []

        def arrived(_emulator: ConnectorEmulator) -> bool:
            record = self.take(activity_id)
            if record is not None:
                found.append(record)
            return bool(found)

        try:
            await self._emulator.wait_for(arrived, seconds)
        except AssertionError as error:
            raise BenchError(f"no reply to activity {activity_id} within {seconds}s") from error
        return found[0]


@dataclass(frozen=True)
class Sample:
    """One measured turn."""

    latency: float  # POST start -> reply recorded by the emulator
    post: float  # POST start -> POST answered
    reply_before_response: bool


@dataclass
class Target:
    """One bot under test and what was measured on it."""

    name: str
    url: str
    session: aiohttp.ClientSession
    expect: Callable[[dict[str, Any]], bool]
    users: Sequence[TeamsUser]
    started: int = 0
    samples: list[Sample] = field(default_factory=list)
    wall: float = 0.0

    def next_user(self) -> TeamsUser:
        """The user of the next turn: the users take turns."""
        user = self.users[self.started % len(self.users)]
        self.started += 1
        return user


async def one_turn(
    target: Target, replies: Replies, service_url: str, turn_seconds: float
) -> Sample:
    """POSTs one `hjälp` message and waits until its reply has reached the emulator."""
    activity = make_message(TEXT, user=target.next_user(), service_url=service_url)
    activity_id = str(activity["id"])
    data = json.dumps(activity).encode("utf-8")
    try:
        async with asyncio.timeout(turn_seconds):
            start = time.monotonic()
            async with target.session.post(target.url, data=data, headers=HEADERS) as response:
                body = await response.read()
                status = response.status
            answered = time.monotonic()
            reply = replies.take(activity_id)
            before = reply is not None
            if reply is None:
                reply = await replies.wait(activity_id, turn_seconds)
    except TimeoutError as error:
        raise BenchError(f"{target.name}: a turn took longer than {turn_seconds}s") from error
    if status not in (200, 201):
        raise BenchError(f"{target.name}: POST answered {status}: {body[:200]!r}")
    if reply.body is None or not target.expect(reply.body):
        raise BenchError(f"{target.name}: unexpected reply {reply.body!r:.300}")
    return Sample(latency=reply.at - start, post=answered - start, reply_before_response=before)


async def run_block(
    target: Target,
    replies: Replies,
    service_url: str,
    count: int,
    concurrency: int,
    turn_seconds: float,
) -> tuple[list[Sample], float]:
    """Runs `count` turns on one bot with `concurrency` closed-loop clients; (samples, wall)."""
    samples: list[Sample] = []
    remaining = count

    async def client() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            samples.append(await one_turn(target, replies, service_url, turn_seconds))

    start = time.monotonic()
    await asyncio.gather(*(client() for _ in range(min(concurrency, count))))
    return samples, time.monotonic() - start


async def alternate(
    targets: tuple[Target, Target],
    replies: Replies,
    service_url: str,
    *,
    turns: int,
    block: int,
    concurrency: int,
    turn_seconds: float,
    deadline: float,
    record: bool,
) -> bool:
    """Runs `turns` turns per bot in alternating blocks (ABBA); False if the deadline hit."""
    done = 0
    round_number = 0
    while done < turns:
        if time.monotonic() > deadline:
            return False
        size = min(block, turns - done)
        order = targets if round_number % 2 == 0 else (targets[1], targets[0])
        for target in order:
            samples, wall = await run_block(
                target, replies, service_url, size, concurrency, turn_seconds
            )
            if record:
                target.samples.extend(samples)
                target.wall += wall
        done += size
        round_number += 1
    return True


# ------------------------------------------------------------------------------ reporting


def summarize(target: Target) -> dict[str, Any]:
    """Throughput and latency figures of one bot, in turns/s and milliseconds."""
    latencies = sorted(sample.latency * 1000 for sample in target.samples)
    posts = sorted(sample.post * 1000 for sample in target.samples)
    count = len(latencies)
    return {
        "turns": count,
        "wall_s": round(target.wall, 4),
        "turns_per_s": round(count / target.wall, 1) if target.wall else math.nan,
        "p50_ms": round(percentile(latencies, 50), 3),
        "p90_ms": round(percentile(latencies, 90), 3),
        "p99_ms": round(percentile(latencies, 99), 3),
        "max_ms": round(latencies[-1], 3) if latencies else math.nan,
        "mean_ms": round(sum(latencies) / count, 3) if count else math.nan,
        "post_p50_ms": round(percentile(posts, 50), 3),
        "replies_before_response": sum(s.reply_before_response for s in target.samples),
    }


def verdict(kanalkollen: dict[str, Any], echo: dict[str, Any]) -> dict[str, Any]:
    """The ratios kanalkollen/echo and PASS/FAIL against DESIGN.md's targets."""
    p50_ratio = kanalkollen["p50_ms"] / echo["p50_ms"]
    throughput_ratio = kanalkollen["turns_per_s"] / echo["turns_per_s"]
    return {
        "p50_ratio": round(p50_ratio, 3),
        "p99_ratio": round(kanalkollen["p99_ms"] / echo["p99_ms"], 3),
        "throughput_ratio": round(throughput_ratio, 3),
        "extra_p50_ms": round(kanalkollen["p50_ms"] - echo["p50_ms"], 3),
        "targets": {
            "p50_ratio_max": TARGET_P50_RATIO,
            "p99_ms_max": TARGET_P99_MS,
            "p50_ratio_pass": p50_ratio <= TARGET_P50_RATIO,
            "p99_pass": kanalkollen["p99_ms"] < TARGET_P99_MS,
        },
    }


def render(result: dict[str, Any]) -> str:
    """The human-readable report: config, one row per bot, ratios, targets."""
    config = result["config"]
    env = result["environment"]
    lines = [
        f"turns: {config['turns']} per bot after {config['warmup']} warm-up, "
        f"concurrency {config['concurrency']}, block {config['block']}, "
        f"{config['users']} users, database {config['database']}"
        + (", LEAN SDK (msrest retry-policy patch)" if config["lean_sdk"] else ""),
        f"python {env['python']}, botbuilder {env['botbuilder']}, aiohttp {env['aiohttp']}, "
        f"sqlalchemy {env['sqlalchemy']}, {env['cpus']} CPUs, load {env['load_average']} "
        f"at start, git {env['git']}",
        "",
        f"{'bot':<12} {'turns':>6} {'turns/s':>9} {'p50 ms':>8} {'p90 ms':>8} "
        f"{'p99 ms':>8} {'max ms':>8}",
    ]
    for name in (ECHO, KANALKOLLEN):
        row = result["bots"][name]
        lines.append(
            f"{name:<12} {row['turns']:>6} {row['turns_per_s']:>9.1f} {row['p50_ms']:>8.2f} "
            f"{row['p90_ms']:>8.2f} {row['p99_ms']:>8.2f} {row['max_ms']:>8.2f}"
        )
    ratios = result["ratios"]
    targets = ratios["targets"]
    kanalkollen = result["bots"][KANALKOLLEN]

    def mark(ok: bool) -> str:
        return "PASS" if ok else "FAIL"

    lines += [
        "",
        f"kanalkollen/echo: p50 {ratios['p50_ratio']:.2f}x, p99 {ratios['p99_ratio']:.2f}x, "
        f"throughput {ratios['throughput_ratio']:.2f}x "
        f"({ratios['extra_p50_ms']:+.2f} ms per turn at p50)",
        "",
        f"{'target':<34} {'measured':>10}  result",
        f"{'p50 ratio kanalkollen/echo <= 2.0':<34} {ratios['p50_ratio']:>9.2f}x  "
        f"{mark(targets['p50_ratio_pass'])}",
        f"{'p99 kanalkollen < 50 ms':<34} {kanalkollen['p99_ms']:>8.2f}ms  "
        f"{mark(targets['p99_pass'])}",
    ]
    checks = result["checks"]
    lines.append("")
    lines.append(
        "replies recorded before the POST was answered: "
        + ", ".join(
            f"{name} {result['bots'][name]['replies_before_response']}/"
            f"{result['bots'][name]['turns']}"
            for name in (ECHO, KANALKOLLEN)
        )
    )
    if checks["stopped_by_deadline"]:
        lines.append(f"STOPPED by the {config['max_seconds']}s deadline: figures are partial")
    return "\n".join(lines)


# ------------------------------------------------------------------------------ profiling


class SqlCounter:
    """Counts the statements and commits an engine runs, and the time inside execute()."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine.sync_engine
        self.statements: Counter[str] = Counter()
        self.commits = 0
        self.execute_seconds = 0.0
        self._starts: list[float] = []

    def _before(self, *_args: Any) -> None:
        self._starts.append(time.perf_counter())

    def _after(
        self,
        _conn: Any,
        _cursor: Any,
        statement: str,
        *_args: Any,
    ) -> None:
        if self._starts:
            self.execute_seconds += time.perf_counter() - self._starts.pop()
        self.statements[statement.lstrip().split(None, 1)[0].upper()] += 1

    def _commit(self, _conn: Any) -> None:
        self.commits += 1

    def __enter__(self) -> SqlCounter:
        event.listen(self._engine, "before_cursor_execute", self._before)
        event.listen(self._engine, "after_cursor_execute", self._after)
        event.listen(self._engine, "commit", self._commit)
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(self._engine, "before_cursor_execute", self._before)
        event.remove(self._engine, "after_cursor_execute", self._after)
        event.remove(self._engine, "commit", self._commit)

    def per_turn(self, turns: int) -> dict[str, Any]:
        """The counts divided by the number of turns."""
        return {
            "statements": {
                verb: round(n / turns, 2) for verb, n in sorted(self.statements.items())
            },
            "statements_total": round(sum(self.statements.values()) / turns, 2),
            "commits": round(self.commits / turns, 2),
            "execute_ms": round(self.execute_seconds * 1000 / turns, 3),
        }


# Where a turn's wall time goes: (module, class or None, attribute, label). Sequential turns
# only, so the spans of one turn do not overlap another's.
SPANS: tuple[tuple[str, str | None, str, str], ...] = (
    ("bot.http", "MessagesEndpoint", "handle", "kanalkollen /api/messages handler"),
    ("botbuilder.integration.aiohttp", "CloudAdapter", "process", "echo adapter.process"),
    (
        "botbuilder.core.cloud_adapter_base",
        "CloudAdapterBase",
        "process_activity",
        "  SDK process_activity",
    ),
    (
        "botframework.connector.auth._connector_factory_impl",
        "_ConnectorFactoryImpl",
        "create",
        "    SDK: new ConnectorClient",
    ),
    (
        "botbuilder.integration.aiohttp",
        "ConfigurationBotFrameworkAuthentication",
        "create_user_token_client",
        "    SDK: new UserTokenClient",
    ),
    ("bot.recorder", "TurnRecorder", "record", "    TurnRecorder.record (1 transaction)"),
    ("bot.recorder", None, "upsert_person", "      upsert_person (SELECT, UPDATE)"),
    ("bot.recorder", None, "upsert_conversation", "      upsert_conversation (SELECT, UPDATE)"),
    ("bot.recorder", None, "_reference", "      ConversationReference.serialize"),
    (
        "sqlalchemy.ext.asyncio.session",
        "_AsyncSessionContextManager",
        "__aexit__",
        "      end of `sessions.begin()`: COMMIT, close",
    ),
    (
        "sqlalchemy.dialects.sqlite.aiosqlite",
        "AsyncAdapt_aiosqlite_connection",
        "commit",
        "      SQLite COMMIT (aiosqlite)",
    ),
    (
        "sqlalchemy.dialects.sqlite.aiosqlite",
        "AsyncAdapt_aiosqlite_connection",
        "rollback",
        "      SQLite ROLLBACK (aiosqlite)",
    ),
    ("bot.handler", "KanalkollenBot", "on_message_activity", "    the bot's on_message_activity"),
    (__name__, "EchoBot", "on_message_activity", "    the bot's on_message_activity"),
    ("bot.handler", None, "help_card", "      help_card (build the card)"),
    ("botbuilder.core", "TurnContext", "send_activity", "      TurnContext.send_activity"),
    (
        "botframework.connector.aio.operations_async._conversations_operations_async",
        "ConversationsOperations",
        "reply_to_activity",
        "        POST reply to the emulator",
    ),
    ("botbuilder.core", "BotState", "save_changes", "    ConversationState.save_changes"),
)


class Spans:
    """Wraps functions for a while and sums the wall time spent in each (bench-only)."""

    def __init__(self) -> None:
        self.seconds: defaultdict[str, float] = defaultdict(float)
        self.calls: Counter[str] = Counter()
        self._restore: list[tuple[Any, str, Any]] = []

    def _wrap(self, label: str, function: Callable[..., Any]) -> Callable[..., Any]:
        if inspect.iscoroutinefunction(function):

            @functools.wraps(function)
            async def timed_async(*args: Any, **kwargs: Any) -> Any:
                start = time.perf_counter()
                try:
                    return await function(*args, **kwargs)
                finally:
                    self.seconds[label] += time.perf_counter() - start
                    self.calls[label] += 1

            return timed_async

        @functools.wraps(function)
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[label] += time.perf_counter() - start
                self.calls[label] += 1

        return timed

    def __enter__(self) -> Spans:
        for module_name, class_name, attribute, label in SPANS:
            try:
                module = importlib.import_module(module_name)
                owner = getattr(module, class_name) if class_name else module
                function = owner.__dict__[attribute] if class_name else getattr(owner, attribute)
            except (ImportError, AttributeError, KeyError):
                continue
            self._restore.append((owner, attribute, function))
            setattr(owner, attribute, self._wrap(label, function))
        return self

    def __exit__(self, *_exc: object) -> None:
        for owner, attribute, function in reversed(self._restore):
            setattr(owner, attribute, function)
        self._restore.clear()

    def per_turn(self, turns: int) -> dict[str, dict[str, float]]:
        """Milliseconds and calls per turn, in the order of SPANS."""
        order = dict.fromkeys(label for *_, label in SPANS)
        return {
            label: {
                "ms": round(self.seconds[label] * 1000 / turns, 3),
                "calls": round(self.calls[label] / turns, 3),
            }
            for label in order
            if self.calls[label]
        }


async def profile_turns(
    pair: tuple[Target, Target],
    replies: Replies,
    service_url: str,
    engine: AsyncEngine,
    turns: int,
    turn_seconds: float,
) -> dict[str, Any]:
    """Times the parts of sequential turns on each bot, then profiles Kanalkollen's turns.

    First `turns` turns per bot with SPANS wrapped (wall time per part, per turn); then
    `turns` Kanalkollen turns under pyinstrument (else cProfile) with SQL counted.
    """
    kanalkollen, echo = pair
    breakdown: dict[str, Any] = {}
    for target in (echo, kanalkollen):
        with Spans() as spans:
            samples, _wall = await run_block(target, replies, service_url, turns, 1, turn_seconds)
        breakdown[target.name] = {
            "turn_ms": round(sum(s.latency for s in samples) * 1000 / turns, 3),
            "spans": spans.per_turn(turns),
        }
    with SqlCounter(engine) as sql:
        try:
            from pyinstrument import Profiler
        except ImportError:
            profile = cProfile.Profile()
            profile.enable()
            samples, _wall = await run_block(
                kanalkollen, replies, service_url, turns, 1, turn_seconds
            )
            profile.disable()
            out = io.StringIO()
            pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(40)
            report, profiler = out.getvalue(), "cProfile"
        else:
            # Samples the event loop thread only: SQLite runs in aiosqlite's worker thread,
            # so the loop waiting for it shows up as time in select(), not under the turn.
            sampler = Profiler(interval=0.0005, async_mode="disabled")
            sampler.start()
            samples, _wall = await run_block(
                kanalkollen, replies, service_url, turns, 1, turn_seconds
            )
            sampler.stop()
            report = sampler.output_text(unicode=True, show_all=False)
            profiler = "pyinstrument"
    latencies = sorted(sample.latency * 1000 for sample in samples)
    return {
        "turns": turns,
        "breakdown": breakdown,
        "profiler": profiler,
        "p50_ms_under_profiler": round(percentile(latencies, 50), 3),
        "sql_per_turn": sql.per_turn(turns),
        "report": report,
    }


def render_profile(profile: dict[str, Any]) -> str:
    """The per-part breakdown (mean ms per turn, echo beside Kanalkollen) and the profile."""
    breakdown = profile["breakdown"]
    echo, kanalkollen = breakdown[ECHO], breakdown[KANALKOLLEN]
    lines = [
        f"where a sequential turn's time goes ({profile['turns']} turns per bot, "
        "mean ms per turn, wall time):",
        f"{'part':<44} {'echo':>8} {'kanalk.':>8}",
        f"{'whole turn (POST -> reply recorded)':<44} {echo['turn_ms']:>8.2f} "
        f"{kanalkollen['turn_ms']:>8.2f}",
    ]
    for label in dict.fromkeys(label for *_, label in SPANS):
        in_echo, in_kanalkollen = echo["spans"].get(label), kanalkollen["spans"].get(label)
        if in_echo is None and in_kanalkollen is None:
            continue

        def cell(span: dict[str, float] | None) -> str:
            return f"{span['ms']:>8.2f}" if span else f"{'-':>8}"

        lines.append(f"{label:<44} {cell(in_echo)} {cell(in_kanalkollen)}")
    lines += [
        "",
        f"SQL per Kanalkollen turn (the delivery loop's polls included): "
        f"{json.dumps(profile['sql_per_turn'])}",
        "",
        f"{profile['profiler']} over {profile['turns']} Kanalkollen turns "
        f"(p50 {profile['p50_ms_under_profiler']:.2f} ms under the profiler):",
        profile["report"],
    ]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------- main


def use_lean_sdk() -> None:
    """Removes the SDK's per-turn O(n^2) retry-code list from this process (both bots).

    Every turn, CloudAdapter builds a ConnectorClient and a UserTokenClient; each builds an
    msrest `ClientRetryPolicy`, whose `[i for i in range(999) if i not in self.safe_codes]`
    scans a 501-element list ~1000 times: about 4 ms of CPU each, 8-9 ms a turn. With
    `safe_codes` a frozenset the same list comes out in microseconds. This shows how the
    ratio looks against a leaner baseline; it is off unless `--lean-sdk` is given.
    """
    from msrest.universal_http.requests import ClientRetryPolicy

    safe_codes: Any = frozenset(ClientRetryPolicy.safe_codes)
    ClientRetryPolicy.safe_codes = safe_codes


def _database_url(choice: str, folder: Path) -> tuple[str, str]:
    if choice == "sqlite":
        return f"sqlite+aiosqlite:///{folder / 'kanalkollen.db'}", "sqlite (fresh temp file)"
    return choice, make_url(choice).render_as_string(hide_password=True)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Starts the emulator and both bots, warms up, measures, and returns the result."""
    concurrency = args.concurrency
    block = args.block or (1 if concurrency == 1 else 10 * concurrency)
    users = [make_user(index) for index in range(1, args.users + 1)]
    started = time.monotonic()
    deadline = started + args.max_seconds
    measured_on = environment()
    with tempfile.TemporaryDirectory(prefix="kk-bench-") as folder:
        database_url, database_shown = _database_url(args.database, Path(folder))
        settings = Settings(database_url=database_url, files_dir=Path(folder) / "files")
        app = create_app(settings)
        connector = aiohttp.TCPConnector(limit=0)
        async with (
            ConnectorEmulator() as emulator,
            serve(app) as kanalkollen_url,
            serve(create_echo_app()) as echo_url,
            aiohttp.ClientSession(connector=connector) as session,
        ):
            replies = Replies(emulator)
            kanalkollen = Target(KANALKOLLEN, kanalkollen_url, session, _is_help_card, users)
            echo = Target(ECHO, echo_url, session, _is_echo, users)
            pair = (kanalkollen, echo)
            service_url = emulator.service_url

            async def phase(turns: int, concurrency: int, block: int, record: bool) -> bool:
                return await alternate(
                    pair,
                    replies,
                    service_url,
                    turns=turns,
                    block=block,
                    concurrency=concurrency,
                    turn_seconds=args.turn_timeout,
                    deadline=deadline,
                    record=record,
                )

            # Every user's first turn, one at a time: first contact inserts rows, which is not
            # the steady state measured here (and concurrent first contact is its own case).
            await phase(len(users), 1, 1, record=False)
            await phase(args.warmup, concurrency, block, record=False)
            complete = await phase(args.turns, concurrency, block, record=True)
            bots = {ECHO: summarize(echo), KANALKOLLEN: summarize(kanalkollen)}
            result: dict[str, Any] = {
                "config": {
                    "turns": args.turns,
                    "warmup": args.warmup,
                    "concurrency": concurrency,
                    "block": block,
                    "users": args.users,
                    "database": database_shown,
                    "lean_sdk": args.lean_sdk,
                    "text": TEXT,
                    "max_seconds": args.max_seconds,
                    "turn_timeout_s": args.turn_timeout,
                },
                "environment": measured_on,
                "bots": bots,
                "ratios": verdict(bots[KANALKOLLEN], bots[ECHO]),
                "checks": {
                    "stopped_by_deadline": not complete,
                    "replies_after_response": {
                        name: bots[name]["turns"] - bots[name]["replies_before_response"]
                        for name in bots
                    },
                    "emulator_rejected": len(emulator.rejected),
                },
                "elapsed_s": round(time.monotonic() - started, 2),
            }
            if args.profile:
                result["profile"] = await profile_turns(
                    pair,
                    replies,
                    service_url,
                    app[ENGINE],
                    args.profile_turns or args.turns,
                    args.turn_timeout,
                )
    return result


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.turns",
        description="Turns/s and p50/p99 latency of a `hjälp` turn, Kanalkollen against a "
        "bare echo bot on the same SDK and connector emulator, measured in one run.",
    )
    parser.add_argument("--turns", type=_positive, default=500, help="turns per bot (500)")
    parser.add_argument("--warmup", type=int, default=50, help="warm-up turns per bot (50)")
    parser.add_argument(
        "--concurrency", type=_positive, default=1, help="concurrent clients per bot (1)"
    )
    parser.add_argument(
        "--block",
        type=_positive,
        default=0,
        help="turns per bot before switching to the other bot (1, or 10 x concurrency)",
    )
    parser.add_argument(
        "--users", type=_positive, default=20, help="synthetic users taking turns (20)"
    )
    parser.add_argument(
        "--database",
        default="sqlite",
        help="'sqlite' for a fresh temporary SQLite file, or a DATABASE_URL (e.g. "
        "postgresql+asyncpg://user:pw@127.0.0.1/db); its tables are migrated and written to",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument(
        "--lean-sdk",
        action="store_true",
        help="patch msrest's per-turn O(n^2) retry-policy setup away, for both bots "
        "(not the stock SDK; shows the ratio against a leaner baseline)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="afterwards, profile Kanalkollen turns alone (pyinstrument if installed, else "
        "cProfile) and count SQL statements and commits per turn",
    )
    parser.add_argument(
        "--profile-turns", type=_positive, default=0, help="turns to profile (--turns)"
    )
    parser.add_argument(
        "--turn-timeout", type=float, default=5.0, help="seconds one turn may take (5)"
    )
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=300.0,
        help="stop measuring after this many seconds and report what was measured (300)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the benchmark and prints the report; the exit status tells PASS (0) / FAIL (1)."""
    args = _parser().parse_args(argv)
    if args.lean_sdk:
        use_lean_sdk()
    if args.warmup < 0:
        print("bench.turns: --warmup must not be negative", file=sys.stderr)
        return 2
    try:
        result = asyncio.run(asyncio.wait_for(run(args), timeout=args.max_seconds * 2 + 60))
    except (BenchError, TimeoutError) as error:
        print(f"bench.turns: {error or 'the run took too long'}", file=sys.stderr)
        return 2
    except (OSError, SQLAlchemyError) as error:
        print(f"bench.turns: could not start or reach a service: {error!r}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        print(render(result))
        if "profile" in result:
            print()
            print(render_profile(result["profile"]))
    targets = result["ratios"]["targets"]
    if result["checks"]["stopped_by_deadline"]:
        return 2
    return 0 if targets["p50_ratio_pass"] and targets["p99_pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
