"""Runs the `kanalkollen` command as operators and cron do: a real process."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path


async def run_kanalkollen(
    *args: str, env: dict[str, str], cwd: Path, seconds: float = 120.0
) -> tuple[int, str, str]:
    """Runs `python -m bot.cli.main ARGS` with only PATH and `env`: (code, stdout, stderr)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli.main",
        *args,
        env={"PATH": os.environ.get("PATH", ""), **env},
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=seconds)
    return process.returncode or 0, out.decode(), err.decode()
