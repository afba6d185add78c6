"""The free-text answerer's speed and memory (issues 24 and 26), run by hand.

    .venv/bin/python -m bench.answers            # in process, then through the running bot
    .venv/bin/python -m bench.answers --no-bot   # in process only

In process: the cold index build, then every question of the evaluation files
(tests/domain/answers/questions_*.toml) answered `--rounds` times: p50, p95 and the slowest;
and a 50,000-character paste. Through the bot (`python -m bot.cli.main serve` on loopback, as
bench.turns starts it): every question as a Teams message, the time until its reply reached
the connector emulator (p50, p95); then one person's 50,000-character paste and, right after,
another person's `hjälp`: both times; and the bot's peak resident
memory (VmHWM). Targets: p50 under 50 ms, any message answered within a second, nobody
waits for a paste, the bot within 150 MiB. Exit 0 when every target holds, 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench import bots
from bench.common import environment, percentile
from bench.turn_load import HEADERS, Replies
from tests.support.connector_emulator import ConnectorEmulator
from tests.support.factories import TeamsUser, make_message, make_user

QUESTIONS = Path(__file__).resolve().parents[1] / "tests" / "domain" / "answers"
PASTE_CHARS = 50_000
TARGET_P50_MS = 50.0
TARGET_ANY_MS = 1000.0
TARGET_MIB = 150.0


def questions() -> list[tuple[str, str]]:
    """(text, language) of every question of the evaluation files."""
    import tomllib

    found = []
    for path in sorted(QUESTIONS.glob("questions_*.toml")):
        rows = tomllib.loads(path.read_text(encoding="utf-8"))["questions"]
        found += [(text, language) for _, language, text in rows]
    return found


def paste() -> str:
    text = "Vi har skrivit en lång text om vår verksamhet och klistrar in den här. " * 1000
    return ("Måste jag ha två redaktörer? " + text)[:PASTE_CHARS]


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def in_process(rounds: int) -> dict[str, Any]:
    """The answerer alone: cold build, warm answers, a paste."""
    from domain.answers.bounds import bounded
    from domain.answers.knowledge import find, index

    start = time.perf_counter()
    for language in ("sv", "en"):
        index(language)
    build = time.perf_counter() - start
    asked = questions()
    times = []
    for _ in range(rounds):
        for text, language in asked:
            start = time.perf_counter()
            find(text, language)
            times.append(time.perf_counter() - start)
    times.sort()
    start = time.perf_counter()
    find(bounded(paste()), "sv")
    pasted = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "questions": len(asked),
        "answers": len(times),
        "index_build_ms": ms(build),
        "p50_ms": ms(percentile(times, 50)),
        "p95_ms": ms(percentile(times, 95)),
        "max_ms": ms(times[-1]),
        "paste_ms": ms(pasted),
        "bench_process_peak_mib": round(peak, 1),
    }


async def _turn(
    session: aiohttp.ClientSession,
    bot: bots.BotProcess,
    replies: Replies,
    emulator: ConnectorEmulator,
    user: TeamsUser,
    text: str,
    locale: str = "sv-SE",
) -> tuple[float, float]:
    """POSTs a message; (seconds until its reply reached the emulator, monotonic time then)."""
    activity = make_message(text, user=user, service_url=emulator.service_url, locale=locale)
    start = time.monotonic()
    async with session.post(bot.url, data=json.dumps(activity), headers=HEADERS) as response:
        await response.read()
        if response.status != 200:
            raise RuntimeError(f"POST answered {response.status}")
    reply = await replies.wait(str(activity["id"]), 30.0)
    return reply.at - start, reply.at


async def through_bot(folder: Path) -> dict[str, Any]:
    """The running bot: every question as a message, a paste beside a `hjälp`, its memory."""
    bot = bots.kanalkollen(folder, log_level="WARNING")
    asker, paster, helper = make_user(1), make_user(2), make_user(3)
    async with aiohttp.ClientSession() as session, ConnectorEmulator() as emulator:
        for user in (asker, paster, helper):
            user.add_to(emulator)
        replies = Replies(emulator)
        bot.start()
        try:
            await bot.wait_ready(session, 30.0)
            for user in (asker, paster, helper):  # first contact: not measured
                await _turn(session, bot, replies, emulator, user, "hjälp")
            before = bot.memory_kib()  # the bot before its first question
            times = []
            for text, language in questions():
                locale = "sv-SE" if language == "sv" else "en-US"
                elapsed, _ = await _turn(session, bot, replies, emulator, asker, text, locale)
                times.append(elapsed)
            times.sort()
            pasted = asyncio.create_task(_turn(session, bot, replies, emulator, paster, paste()))
            await asyncio.sleep(0.005)  # the paste is on its way first
            helped = await _turn(session, bot, replies, emulator, helper, "hjälp")
            paste_turn = await pasted
            memory = bot.memory_kib()
        finally:
            bot.stop()
    return {
        "messages": len(times),
        "p50_ms": ms(percentile(times, 50)),
        "p95_ms": ms(percentile(times, 95)),
        "max_ms": ms(times[-1]),
        "paste_ms": ms(paste_turn[0]),
        "help_beside_paste_ms": ms(helped[0]),
        "bot_peak_mib_before_questions": round(before["VmHWM"] / 1024, 1),
        "bot_peak_mib": round(memory["VmHWM"] / 1024, 1),
        "bot_rss_mib": round(memory["VmRSS"] / 1024, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="answers per question in process")
    parser.add_argument("--no-bot", action="store_true", help="measure in process only")
    args = parser.parse_args()
    result: dict[str, Any] = {"measured_on": environment(), "in_process": in_process(args.rounds)}
    passed = result["in_process"]["p50_ms"] < TARGET_P50_MS
    passed = passed and result["in_process"]["paste_ms"] < TARGET_ANY_MS
    if not args.no_bot:
        with tempfile.TemporaryDirectory(prefix="kk-bench-answers-") as name:
            bot = asyncio.run(through_bot(Path(name)))
        result["bot"] = bot
        passed = (
            passed
            and bot["p50_ms"] < TARGET_P50_MS
            and bot["max_ms"] < TARGET_ANY_MS
            and bot["paste_ms"] < TARGET_ANY_MS
            and bot["help_beside_paste_ms"] < TARGET_ANY_MS
            and bot["bot_peak_mib"] < TARGET_MIB
        )
    result["targets_met"] = passed
    json.dump(result, sys.stdout, indent=2, ensure_ascii=False)
    print()
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
