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
import sys
import threading
from pathlib import Path
from typing import Any

from bot.cli.main import main

# The working directory, sys.stdout and the root logger belong to the process: one command at a
# time (xdist workers are processes of their own).
_ONE_AT_A_TIME = threading.Lock()


class _Stream(io.TextIOBase):
    """sys.stdout (or sys.stderr) while a command runs: the running command's own buffer.

    One object serves every command, so that what a command module bound when it was imported
    during an earlier command (a default argument `out=sys.stdout`) reaches the command that
    runs now, as it would in a process of its own.
    """

    def __init__(self, fallback: str) -> None:
        super().__init__()
        self.target: io.TextIOWrapper | None = None
        self._fallback = fallback

    def _current(self) -> io.TextIOBase:
        if self.target is not None:
            return self.target
        current = getattr(sys, self._fallback)
        return current if current is not self else getattr(sys, f"__{self._fallback}__")

    def write(self, text: str) -> int:
        return self._current().write(text)

    def flush(self) -> None:
        self._current().flush()

    def writable(self) -> bool:
        return True

    @property
    def buffer(self) -> Any:
        return self._current().buffer  # type: ignore[attr-defined]

    @property
    def encoding(self) -> str:
        return "utf-8"


_STDOUT, _STDERR = _Stream("stdout"), _Stream("stderr")


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
            _STDOUT.target, _STDERR.target = out, err
            with (
                contextlib.chdir(cwd),
                contextlib.redirect_stdout(_STDOUT),
                contextlib.redirect_stderr(_STDERR),
            ):
                try:
                    code = main(list(args), environ=environ)
                except SystemExit as exit_:  # argparse: --help, or a usage error
                    status = 0 if exit_.code is None else exit_.code
                    code = status if isinstance(status, int) else 1
        finally:
            _STDOUT.target = _STDERR.target = None
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
