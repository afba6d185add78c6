"""What the benchmarks share: the machine they ran on, percentiles, argument checks."""

from __future__ import annotations

import argparse
import math
import os
import platform
import subprocess
from collections.abc import Sequence
from importlib import metadata
from typing import Any


def environment() -> dict[str, Any]:
    """What the figures were measured on."""

    def version(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "-"

    def revision() -> str:
        try:
            head = subprocess.run(
                ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=5
            ).stdout.strip()
            dirty = subprocess.run(
                ["git", "status", "--porcelain", "--untracked-files=no"],
                capture_output=True,
                text=True,
                timeout=5,
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return "-"
        return f"{head or '-'}{' + uncommitted changes' if dirty else ''}"

    return {
        "git": revision(),
        "load_average": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else "-",
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "agents_sdk": version("microsoft-agents-hosting-core"),
        "aiohttp": version("aiohttp"),
        "sqlalchemy": version("sqlalchemy"),
        "aiosqlite": version("aiosqlite"),
        "asyncpg": version("asyncpg"),
    }


def percentile(ordered: Sequence[float], p: float) -> float:
    """The nearest-rank percentile of sorted values."""
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def positive(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value
