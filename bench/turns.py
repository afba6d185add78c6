"""Turn benchmark: Kanalkollen, a bare botbuilder echo bot and a bare Agents SDK echo bot.

Run from the repository root::

    .venv/bin/python -m bench.turns [--turns N] [--warmup N] [--users 1,8] [--json]

The three bots run side by side in one run, each as its own server process on a loopback
port (bench/bots.py): Kanalkollen's `serve` in local mode on a fresh SQLite file,
bench/echo_botbuilder.py in a botbuilder 4.17.1 venv of its own (created on first use in
.cache/bench/), bench/echo_agents_sdk.py in the project's venv. This process drives them
with Teams-shaped personal-chat messages (`hjälp`) and runs the `ConnectorEmulator` of
tests/support that receives their replies (bench/turn_load.py).

Every user first has one turn with each bot (first contact inserts rows, which is not what
is measured); then, for each number of users, `--warmup` turns per bot and `--turns`
measured turns per bot. The figures and issue 12's targets: bench/turn_report.py.

Exit status: 0 when every target passes, 1 when one fails, 2 when the run itself broke.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from bench import bots
from bench.bots import AGENTS, BOTBUILDER, KANALKOLLEN, BotError, BotProcess
from bench.common import environment
from bench.common import positive as _positive
from bench.turn_load import (
    TEXT,
    BenchError,
    Level,
    Replies,
    Target,
    alternate,
    is_echo,
    is_help_card,
)
from bench.turn_report import profile_report, render, summarize_bot, verdict
from tests.support.connector_emulator import ConnectorEmulator
from tests.support.factories import TeamsUser, make_user

READY_SECONDS = 60.0
KEPT_PROFILE = bots.REPO_ROOT / ".cache" / "bench" / "kanalkollen-turns.prof"


@dataclass
class Profiling:
    """Kanalkollen under bench/profiled_serve.py: cProfile on and off by signal."""

    bot: BotProcess
    stats_file: Path

    def start(self) -> None:
        self.bot.send_signal(signal.SIGUSR1)

    def stop(self) -> None:
        """Stops profiling; the process then writes the stats so far to `stats_file`."""
        self.stats_file.unlink(missing_ok=True)
        self.bot.send_signal(signal.SIGUSR2)

    def wait_written(self, seconds: float = 10.0) -> None:
        """Waits until the stats file is there and no longer grows."""
        deadline = time.monotonic() + seconds
        size = -1
        while time.monotonic() < deadline:
            current = self.stats_file.stat().st_size if self.stats_file.is_file() else -1
            if current > 0 and current == size:
                return
            size = current
            time.sleep(0.2)
        raise BenchError(f"Kanalkollen wrote no profile to {self.stats_file}")


async def measure(
    args: argparse.Namespace,
    processes: Sequence[BotProcess],
    deadline: float,
    profiling: Profiling | None = None,
) -> tuple[dict[str, Any], bool]:
    """Drives the running bots through every level; (figures and checks, complete)."""
    expect = {KANALKOLLEN: is_help_card, BOTBUILDER: is_echo, AGENTS: is_echo}
    users = [make_user(index) for index in range(1, max(args.users) + 1)]
    connector = aiohttp.TCPConnector(limit=0)
    async with (
        aiohttp.ClientSession(connector=connector) as session,
        ConnectorEmulator() as emulator,
    ):
        await asyncio.gather(*(bot.wait_ready(session, READY_SECONDS) for bot in processes))
        targets = [
            Target(bot, session, expect[bot.name], {level: Level() for level in args.users})
            for bot in processes
        ]
        for user in users:
            user.add_to(emulator)  # as Teams knows them: a bot may look the sender up
        replies = Replies(emulator)

        async def phase(
            clients: Sequence[TeamsUser], turns: int, block: int, record: bool
        ) -> bool:
            return await alternate(
                targets,
                clients,
                replies,
                emulator.service_url,
                turns=turns,
                block=block,
                turn_seconds=args.turn_timeout,
                deadline=deadline,
                record=record,
            )

        # First contact inserts rows (the person, the conversation reference): one turn per
        # user and bot, one at a time, not measured.
        for user in users:
            await phase([user], 1, 1, record=False)
        complete = True
        for level in args.users:
            clients = users[:level]
            complete = complete and await phase(clients, args.warmup, args.block, record=False)
            if profiling is not None:
                profiling.start()
            complete = complete and await phase(clients, args.turns, args.block, record=True)
            if profiling is not None:
                profiling.stop()
        figures = {
            target.name: summarize_bot(target, target.bot.memory_kib()) for target in targets
        }
        checks = {
            "replies_before_response": {
                target.name: sum(
                    sample.reply_before_response
                    for level in target.levels.values()
                    for sample in level.samples
                )
                for target in targets
            },
            "emulator_rejected": len(emulator.rejected),
        }
    return {"bots": figures, "checks": checks}, complete


def _log_errors(bot: BotProcess) -> int:
    try:
        text = bot.log_path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return 0
    return sum(1 for line in text.splitlines() if " ERROR " in line or "Traceback" in line)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Starts the three bots, measures them, stops them, and returns the result."""
    started = time.monotonic()
    botbuilder_python = await asyncio.to_thread(bots.botbuilder_python)
    measured_on = environment()
    versions = bots.package_versions(botbuilder_python, ["botbuilder-core", "aiohttp"])
    measured_on["botbuilder"] = versions.get("botbuilder-core", "-")
    measured_on["botbuilder_aiohttp"] = versions.get("aiohttp", "-")
    deadline = time.monotonic() + args.max_seconds
    profile: dict[str, Any] | None = None
    with tempfile.TemporaryDirectory(prefix="kk-bench-") as name:
        folder = Path(name)
        stats_file = folder / "kanalkollen.prof" if args.profile else None
        kanalkollen = bots.kanalkollen(folder, log_level=args.log_level, profile_to=stats_file)
        processes = [
            kanalkollen,
            bots.botbuilder_echo(folder, botbuilder_python),
            bots.agents_echo(folder),
        ]
        profiling = Profiling(kanalkollen, stats_file) if stats_file is not None else None
        try:
            for bot in processes:
                bot.start()
            measured, complete = await measure(args, processes, deadline, profiling)
            if profiling is not None:
                await asyncio.to_thread(profiling.wait_written)
        finally:
            for bot in processes:
                bot.stop()
        log_errors = {bot.name: _log_errors(bot) for bot in processes}
        if stats_file is not None:
            KEPT_PROFILE.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(stats_file, KEPT_PROFILE)
            turns = measured["bots"][KANALKOLLEN]["turns"]
            profile = {
                "stats_file": str(KEPT_PROFILE),
                "report": profile_report(stats_file, turns, args.profile_lines),
            }
    low, high = min(args.users), max(args.users)
    return {
        "config": {
            "turns": args.turns,
            "warmup": args.warmup,
            "users": list(args.users),
            "block": args.block,
            "text": TEXT,
            "kanalkollen_log_level": args.log_level,
            "profiled": args.profile,
            "max_seconds": args.max_seconds,
            "turn_timeout_s": args.turn_timeout,
        },
        "environment": measured_on,
        "bots": measured["bots"],
        "targets": verdict(measured["bots"], low, high),
        "checks": {
            **measured["checks"],
            "log_errors": log_errors,
            "stopped_by_deadline": not complete,
        },
        "profile": profile,
        "elapsed_s": round(time.monotonic() - started, 2),
    }


def _levels(raw: str) -> list[int]:
    try:
        levels = sorted({int(part) for part in raw.split(",") if part.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of numbers: {raw!r}") from None
    if not levels or levels[0] < 1:
        raise argparse.ArgumentTypeError(f"give numbers of at least 1, not {raw!r}")
    return levels


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.turns",
        description="CPU per turn, p50/p99 turn latency and peak memory of Kanalkollen, a "
        "bare botbuilder echo bot and a bare Agents SDK echo bot, each its own process.",
    )
    parser.add_argument(
        "--turns", type=_positive, default=500, help="measured turns per bot and level (500)"
    )
    parser.add_argument(
        "--warmup", type=int, default=50, help="warm-up turns per bot and level (50)"
    )
    parser.add_argument(
        "--users",
        type=_levels,
        default=[1, 8],
        help="levels of concurrent users, comma-separated (1,8); the targets use the lowest "
        "and the highest",
    )
    parser.add_argument(
        "--block", type=_positive, default=100, help="turns per bot before switching (100)"
    )
    parser.add_argument(
        "--log-level",
        default="INFO",
        choices=("DEBUG", "INFO", "WARNING", "ERROR"),
        help="Kanalkollen's LOG_LEVEL (INFO, its default: three lines a turn)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="run Kanalkollen under cProfile over its measured turns and print its top "
        "functions (this slows Kanalkollen down: its figures are then not the targets')",
    )
    parser.add_argument(
        "--profile-lines", type=_positive, default=30, help="functions per profile table (30)"
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument(
        "--turn-timeout", type=float, default=5.0, help="seconds one turn may take (5)"
    )
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
        print("bench.turns: --warmup must not be negative", file=sys.stderr)
        return 2
    try:
        result = asyncio.run(asyncio.wait_for(run(args), timeout=args.max_seconds * 2 + 900))
    except (BenchError, BotError, TimeoutError) as error:
        print(f"bench.turns: {error or 'the run took too long'}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"bench.turns: could not start or reach a bot: {error!r}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        print(render(result))
        if result["profile"] is not None:
            print()
            print(result["profile"]["report"])
            print(f"stats kept in {result['profile']['stats_file']}")
    if result["checks"]["stopped_by_deadline"]:
        return 2
    return 0 if all(target["pass"] for target in result["targets"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
