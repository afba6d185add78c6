"""The figures of `bench.turns`: summaries per bot and level, issue 12's targets, the report."""

from __future__ import annotations

import io
import math
import pstats
from pathlib import Path
from typing import Any

from bench.bots import AGENTS, BOTBUILDER, KANALKOLLEN
from bench.common import percentile
from bench.turn_load import Level, Target

BOT_ORDER = (KANALKOLLEN, BOTBUILDER, AGENTS)
# Issue 12's targets for Kanalkollen.
TARGET_CPU_RATIO = 0.4  # CPU per turn, against the botbuilder echo bot's
TARGET_P50_RATIO_AT_8 = 0.5  # p50 at 8 users, against the botbuilder echo bot's
TARGET_P99_MS_AT_1 = 30.0
TARGET_PEAK_RSS_MIB = 150.0


def summarize(level: Level) -> dict[str, Any]:
    """Throughput, CPU and latency figures of one bot at one level, in ms and turns/s."""
    latencies = sorted(sample.latency * 1000 for sample in level.samples)
    posts = sorted(sample.post * 1000 for sample in level.samples)
    count = len(latencies)

    def per_turn(seconds: float) -> float:
        return round(seconds * 1000 / count, 3) if count else math.nan

    return {
        "turns": count,
        "wall_s": round(level.wall, 4),
        "turns_per_s": round(count / level.wall, 1) if level.wall else math.nan,
        "cpu_ms_per_turn": per_turn(level.cpu_user + level.cpu_system),
        "cpu_user_ms_per_turn": per_turn(level.cpu_user),
        "cpu_system_ms_per_turn": per_turn(level.cpu_system),
        "driver_cpu_ms_per_turn": per_turn(level.driver_cpu),
        "p50_ms": round(percentile(latencies, 50), 3),
        "p90_ms": round(percentile(latencies, 90), 3),
        "p99_ms": round(percentile(latencies, 99), 3),
        "max_ms": round(latencies[-1], 3) if latencies else math.nan,
        "mean_ms": round(sum(latencies) / count, 3) if count else math.nan,
        "post_p50_ms": round(percentile(posts, 50), 3),
        "replies_before_response": sum(s.reply_before_response for s in level.samples),
    }


def summarize_bot(target: Target, memory: dict[str, int]) -> dict[str, Any]:
    """A bot's figures per level, its CPU per turn over all measured turns, its memory."""
    levels = {str(users): summarize(level) for users, level in sorted(target.levels.items())}
    turns = sum(len(level.samples) for level in target.levels.values())
    user = sum(level.cpu_user for level in target.levels.values())
    system = sum(level.cpu_system for level in target.levels.values())

    def per_turn(seconds: float) -> float:
        return round(seconds * 1000 / turns, 3) if turns else math.nan

    return {
        "levels": levels,
        "turns": turns,
        "cpu_ms_per_turn": per_turn(user + system),
        "cpu_user_ms_per_turn": per_turn(user),
        "cpu_system_ms_per_turn": per_turn(system),
        "peak_rss_mib": round(memory.get("VmHWM", 0) / 1024, 1),
        "rss_at_end_mib": round(memory.get("VmRSS", 0) / 1024, 1),
    }


def verdict(result_bots: dict[str, Any], low: int, high: int) -> dict[str, Any]:
    """Issue 12's targets: Kanalkollen against the botbuilder echo bot, and on its own."""
    kanalkollen, botbuilder = result_bots[KANALKOLLEN], result_bots[BOTBUILDER]
    cpu_ratio = kanalkollen["cpu_ms_per_turn"] / botbuilder["cpu_ms_per_turn"]
    k_high, b_high = kanalkollen["levels"][str(high)], botbuilder["levels"][str(high)]
    p50_ratio = k_high["p50_ms"] / b_high["p50_ms"]
    p99_low = kanalkollen["levels"][str(low)]["p99_ms"]
    rss = kanalkollen["peak_rss_mib"]
    return {
        "cpu_ratio": {
            "measured": round(cpu_ratio, 3),
            "max": TARGET_CPU_RATIO,
            "pass": cpu_ratio <= TARGET_CPU_RATIO,
        },
        "p50_ratio": {
            "users": high,
            "measured": round(p50_ratio, 3),
            "max": TARGET_P50_RATIO_AT_8,
            "pass": p50_ratio <= TARGET_P50_RATIO_AT_8,
        },
        "p99_ms": {
            "users": low,
            "measured": p99_low,
            "below": TARGET_P99_MS_AT_1,
            "pass": p99_low < TARGET_P99_MS_AT_1,
        },
        "peak_rss_mib": {
            "measured": rss,
            "below": TARGET_PEAK_RSS_MIB,
            "pass": rss < TARGET_PEAK_RSS_MIB,
        },
    }


def _users_label(users: int) -> str:
    return f"{users} user{'s' if users != 1 else ''}"


def render(result: dict[str, Any]) -> str:
    """The human-readable report: config, environment, one table per level, targets."""
    config, env, figures = result["config"], result["environment"], result["bots"]
    levels = config["users"]
    lines = [
        f"turns: {config['turns']} per bot and level after {config['warmup']} warm-up, "
        f"users {', '.join(map(str, levels))} (one closed-loop client and 1:1 chat each), "
        f"blocks of {config['block']}, message {config['text']!r}; "
        "kanalkollen: local mode, fresh SQLite file",
        f"python {env['python']}, microsoft-agents {env['agents_sdk']}, "
        f"botbuilder {env['botbuilder']} (own venv, aiohttp {env['botbuilder_aiohttp']}), "
        f"aiohttp {env['aiohttp']}, sqlalchemy {env['sqlalchemy']}, "
        f"aiosqlite {env['aiosqlite']}, {env['cpus']} CPUs, load {env['load_average']} "
        f"at start, git {env['git']}",
    ]
    header = (
        f"{'bot':<16} {'turns':>6} {'turns/s':>8} {'cpu ms/turn':>12} {'p50 ms':>8} "
        f"{'p90 ms':>8} {'p99 ms':>8} {'max ms':>8}"
    )
    for users in levels:
        lines += ["", _users_label(users), header]
        for name in BOT_ORDER:
            row = figures[name]["levels"][str(users)]
            lines.append(
                f"{name:<16} {row['turns']:>6} {row['turns_per_s']:>8.1f} "
                f"{row['cpu_ms_per_turn']:>12.2f} {row['p50_ms']:>8.2f} {row['p90_ms']:>8.2f} "
                f"{row['p99_ms']:>8.2f} {row['max_ms']:>8.2f}"
            )
    lines += [
        "",
        f"{'all measured turns':<18} {'cpu ms/turn':>12} {'user':>6} {'system':>7} "
        f"{'peak RSS MiB':>13} {'RSS at end':>11}",
    ]
    for name in BOT_ORDER:
        bot = figures[name]
        lines.append(
            f"{name:<18} {bot['cpu_ms_per_turn']:>12.2f} {bot['cpu_user_ms_per_turn']:>6.2f} "
            f"{bot['cpu_system_ms_per_turn']:>7.2f} {bot['peak_rss_mib']:>13.1f} "
            f"{bot['rss_at_end_mib']:>11.1f}"
        )
    targets = result["targets"]

    def mark(ok: bool) -> str:
        return "PASS" if ok else "FAIL"

    cpu, p50, p99, rss = (
        targets["cpu_ratio"],
        targets["p50_ratio"],
        targets["p99_ms"],
        targets["peak_rss_mib"],
    )
    k, b = figures[KANALKOLLEN], figures[BOTBUILDER]
    k_p50, b_p50 = (bot["levels"][str(p50["users"])]["p50_ms"] for bot in (k, b))
    rows = [
        (
            f"kanalkollen cpu/turn <= {cpu['max']}x botbuilder echo's",
            f"{cpu['measured']:.2f}x ({k['cpu_ms_per_turn']:.2f} vs {b['cpu_ms_per_turn']:.2f})",
            cpu["pass"],
        ),
        (
            f"kanalkollen p50 at {_users_label(p50['users'])} <= {p50['max']}x botbuilder's",
            f"{p50['measured']:.2f}x ({k_p50:.2f} vs {b_p50:.2f} ms)",
            p50["pass"],
        ),
        (
            f"kanalkollen p99 at {_users_label(p99['users'])} < {p99['below']:g} ms",
            f"{p99['measured']:.2f} ms",
            p99["pass"],
        ),
        (
            f"kanalkollen peak RSS < {rss['below']:g} MiB",
            f"{rss['measured']:.1f} MiB",
            rss["pass"],
        ),
    ]
    lines += ["", f"{'target':<46} {'measured':>28}  result"]
    lines += [f"{label:<46} {measured:>28}  {mark(ok)}" for label, measured, ok in rows]
    checks = result["checks"]
    lines += [
        "",
        "replies recorded before the POST was answered: "
        + ", ".join(
            f"{name} {checks['replies_before_response'][name]}/{figures[name]['turns']}"
            for name in BOT_ORDER
        ),
        "driver (client + emulator) cpu ms/turn: "
        + ", ".join(
            f"{_users_label(users)} "
            + "/".join(
                f"{figures[name]['levels'][str(users)]['driver_cpu_ms_per_turn']:.2f}"
                for name in BOT_ORDER
            )
            for users in levels
        )
        + f" ({'/'.join(BOT_ORDER)})",
        f"errors in the bots' logs: {checks['log_errors']}; "
        f"emulator rejected {checks['emulator_rejected']} requests",
    ]
    if checks["stopped_by_deadline"]:
        lines.append(f"STOPPED by the {config['max_seconds']}s deadline: figures are partial")
    return "\n".join(lines)


def profile_report(stats_file: Path, turns: int, lines: int) -> str:
    """The profile's top functions, by cumulative and by own time."""
    out = io.StringIO()
    stats = pstats.Stats(str(stats_file), stream=out)
    stats.strip_dirs()
    entries: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    total = sum(entry[2] for entry in entries.values())
    # The event loop waiting in epoll is idle time, not work.
    idle = sum(entry[2] for (_, _, name), entry in entries.items() if "of 'select." in name)
    out.write(
        f"cProfile of Kanalkollen's event-loop thread over its {turns} measured turns: "
        f"{(total - idle) * 1000 / max(turns, 1):.2f} ms of work per turn under the profiler, "
        "which slows every call down (compare the parts, not the total with the CPU figures "
        "above); a coroutine's ncalls counts its resumptions\n"
    )
    stats.sort_stats("cumulative").print_stats(lines)
    stats.sort_stats("tottime").print_stats(lines)
    return out.getvalue()
