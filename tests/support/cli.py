"""Runs the `kanalkollen` command as operators and cron do, inside the test process.

A new interpreter per command spent seconds importing the bot (issue 25). The command's own
entry point, `bot.cli.main.main`, runs instead on a thread of its own (it runs its own event
loop with asyncio.run), with what a process would get: the arguments, only PATH and `env` as
its environment (`environ` replaces os.environ), `cwd` as the working directory, and its own
stdout, stderr and log lines captured. The process itself stays covered: tests/bot/test_serve.py
starts `python -m bot.cli.main serve` as `make run` does.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
import threading
from pathlib import Path

from bot.cli.main import main

# The working directory, sys.stdout and the root logger belong to the process: one command at a
# time (xdist workers are processes of their own).
_ONE_AT_A_TIME = threading.Lock()


def _run(args: tuple[str, ...], env: dict[str, str], cwd: Path) -> tuple[int, bytes, str]:
    out_bytes, err_bytes = io.BytesIO(), io.BytesIO()
    out = io.TextIOWrapper(out_bytes, encoding="utf-8", write_through=True)
    err = io.TextIOWrapper(err_bytes, encoding="utf-8", write_through=True)
    root = logging.getLogger()
    sdk = logging.getLogger("microsoft_agents")
    with _ONE_AT_A_TIME:
        handlers, level, sdk_level = root.handlers[:], root.level, sdk.level
        for handler in handlers:  # as in a new process: main's logging.basicConfig takes effect
            root.removeHandler(handler)
        environ = {"PATH": os.environ.get("PATH", ""), **env}
        try:
            with (
                contextlib.chdir(cwd),
                contextlib.redirect_stdout(out),
                contextlib.redirect_stderr(err),
            ):
                try:
                    code = main(list(args), environ=environ)
                except SystemExit as exit_:  # argparse: --help, or a usage error
                    status = 0 if exit_.code is None else exit_.code
                    code = status if isinstance(status, int) else 1
        finally:
            for handler in root.handlers[:]:
                root.removeHandler(handler)
            for handler in handlers:
                root.addHandler(handler)
            root.setLevel(level)
            sdk.setLevel(sdk_level)
    out.flush()
    err.flush()
    return code, out_bytes.getvalue(), err_bytes.getvalue().decode("utf-8")


async def run_kanalkollen_bytes(
    *args: str, env: dict[str, str], cwd: Path, seconds: float = 120.0
) -> tuple[int, bytes, str]:
    """Runs `kanalkollen ARGS` with only PATH and `env`: (code, stdout bytes, stderr)."""
    return await asyncio.wait_for(asyncio.to_thread(_run, args, env, cwd), timeout=seconds)


async def run_kanalkollen(
    *args: str, env: dict[str, str], cwd: Path, seconds: float = 120.0
) -> tuple[int, str, str]:
    """Runs `kanalkollen ARGS` with only PATH and `env`: (code, stdout, stderr)."""
    code, out, err = await run_kanalkollen_bytes(*args, env=env, cwd=cwd, seconds=seconds)
    return code, out.decode("utf-8"), err
