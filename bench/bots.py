"""The bots of `bench.turns` as server processes: start, wait until ready, measure, stop.

Each bot is its own process on a loopback port, so its CPU time and memory are its own:

* Kanalkollen: `python -m bot.cli.main serve`, as `make run` starts it, in local mode (no app
  id), on a fresh SQLite file, from a temporary folder (so no `.env` is read).
* botbuilder echo: bench/echo_botbuilder.py in a venv of its own with botbuilder 4.17.1,
  created on first use in .cache/bench/botbuilder-4.17.1/ (botbuilder is no dependency).
* Agents SDK echo: bench/echo_agents_sdk.py in this (the project's) venv.

CPU time and peak memory come from /proc/<pid>/stat and /proc/<pid>/status (Linux).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import aiohttp

KANALKOLLEN = "kanalkollen"
BOTBUILDER = "botbuilder-echo"
AGENTS = "agents-echo"
REPO_ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = REPO_ROOT / "bench"
BOTBUILDER_VERSION = "4.17.1"
BOTBUILDER_PACKAGES = (
    f"botbuilder-core=={BOTBUILDER_VERSION}",
    f"botbuilder-integration-aiohttp=={BOTBUILDER_VERSION}",
)
BOTBUILDER_VENV = REPO_ROOT / ".cache" / "bench" / f"botbuilder-{BOTBUILDER_VERSION}"
_VENV_READY = ".bench-ready"
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# What Kanalkollen's settings read; the bench sets its own values and drops the rest.
_SETTING_PREFIXES = ("Microsoft", "GRAPH_", "MAIL_", "SMTP_")
_SETTING_NAMES = frozenset(
    {
        "ALLOWED_TENANTS",
        "DATABASE_URL",
        "FILES_DIR",
        "FILES_SIGNING_KEY",
        "KANALKOLLEN_POLICY",
        "LOG_LEVEL",
        "PORT",
        "PUBLIC_BASE_URL",
        "TEAMS_SERVICE_URL",
    }
)


class BotError(RuntimeError):
    """A bot could not be installed, started or reached."""


@dataclass
class BotProcess:
    """One bot's server process and where to reach it."""

    name: str
    command: list[str]
    port: int
    ready_path: str
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path | None = None
    process: subprocess.Popen[bytes] | None = None
    _log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        """Where activities are POSTed."""
        return f"http://127.0.0.1:{self.port}/api/messages"

    @property
    def pid(self) -> int:
        if self.process is None:
            raise BotError(f"{self.name} is not running")
        return self.process.pid

    def start(self) -> None:
        """Starts the process; its stdout and stderr go to `log_path`."""
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            self.command,
            cwd=self.cwd,
            env=self.env or None,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    async def wait_ready(self, session: aiohttp.ClientSession, seconds: float) -> None:
        """Polls the bot's readiness URL until it answers 200; BotError after `seconds`."""
        url = f"http://127.0.0.1:{self.port}{self.ready_path}"
        deadline = time.monotonic() + seconds
        last = "no answer"
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise BotError(f"{self.name} exited before it was ready:\n{self.log_tail()}")
            try:
                async with session.get(url, timeout=aiohttp.ClientTimeout(total=2)) as response:
                    if response.status == 200:
                        return
                    last = f"HTTP {response.status}"
            except (aiohttp.ClientError, TimeoutError) as error:
                last = type(error).__name__
            await asyncio.sleep(0.1)
        raise BotError(f"{self.name} not ready after {seconds}s ({last}):\n{self.log_tail()}")

    def cpu_seconds(self) -> tuple[float, float]:
        """User and system CPU time of the process so far (all its threads, in seconds)."""
        with open(f"/proc/{self.pid}/stat", "rb") as stat:
            raw = stat.read()
        # The command name (field 2) may hold spaces: the fields after it start at ')'.
        fields = raw[raw.rindex(b")") + 2 :].split()
        return int(fields[11]) / _CLOCK_TICKS, int(fields[12]) / _CLOCK_TICKS

    def memory_kib(self) -> dict[str, int]:
        """VmHWM (peak resident set) and VmRSS (resident now), in KiB."""
        found: dict[str, int] = {}
        with open(f"/proc/{self.pid}/status", encoding="ascii") as status:
            for line in status:
                key, _, value = line.partition(":")
                if key in ("VmHWM", "VmRSS"):
                    found[key] = int(value.split()[0])
        return found

    def log_tail(self, lines: int = 20) -> str:
        """The last lines the process printed."""
        if self._log is not None:
            self._log.flush()
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:]) or "(empty log)"

    def send_signal(self, number: int) -> None:
        """Sends the process a signal."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(number)

    def stop(self, seconds: float = 10.0) -> int | None:
        """SIGTERM (aiohttp shuts down cleanly), then SIGKILL after `seconds`; the exit code."""
        process = self.process
        code = None
        if process is not None:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(seconds)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            code = process.returncode
        if self._log is not None:
            self._log.close()
            self._log = None
        return code


def free_port() -> int:
    """A loopback port nobody listens on now (the bot binds it a moment later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def kanalkollen(
    folder: Path, *, log_level: str = "INFO", profile_to: Path | None = None
) -> BotProcess:
    """Kanalkollen's `serve` in local mode on a fresh SQLite file in `folder`.

    With `profile_to`, under cProfile that SIGUSR1 and SIGUSR2 switch (bench/profiled_serve.py).
    """
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in _SETTING_NAMES and not key.startswith(_SETTING_PREFIXES)
    }
    env.update(
        PORT=str(port),
        DATABASE_URL=f"sqlite+aiosqlite:///{folder / 'kanalkollen.db'}",
        FILES_DIR=str(folder / "files"),
        LOG_LEVEL=log_level,
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")])),
    )
    command = [sys.executable, "-m", "bot.cli.main", "serve"]
    if profile_to is not None:
        command = [sys.executable, "-m", "bench.profiled_serve", str(profile_to)]
    return BotProcess(
        name=KANALKOLLEN,
        command=command,
        port=port,
        ready_path="/readyz",
        log_path=folder / "kanalkollen.log",
        env=env,
        cwd=folder,
    )


def agents_echo(folder: Path) -> BotProcess:
    """The bare Agents SDK echo bot, in this venv."""
    port = free_port()
    return BotProcess(
        name=AGENTS,
        command=[sys.executable, "-I", str(BENCH_DIR / "echo_agents_sdk.py"), "--port", str(port)],
        port=port,
        ready_path="/healthz",
        log_path=folder / "agents-echo.log",
        cwd=folder,
    )


def botbuilder_echo(folder: Path, python: Path) -> BotProcess:
    """The bare botbuilder echo bot, in its own venv's `python`."""
    port = free_port()
    return BotProcess(
        name=BOTBUILDER,
        command=[str(python), "-I", str(BENCH_DIR / "echo_botbuilder.py"), "--port", str(port)],
        port=port,
        ready_path="/healthz",
        log_path=folder / "botbuilder-echo.log",
        cwd=folder,
    )


def botbuilder_python(venv: Path = BOTBUILDER_VENV) -> Path:
    """The botbuilder venv's python; creates the venv with pip on first use."""
    python = venv / "bin" / "python"
    if (venv / _VENV_READY).is_file() and python.is_file():
        return python
    print(
        f"bench.turns: creating a venv for the botbuilder echo bot in {venv} (first use): "
        f"pip install {' '.join(BOTBUILDER_PACKAGES)} ...",
        file=sys.stderr,
        flush=True,
    )
    shutil.rmtree(venv, ignore_errors=True)
    venv.parent.mkdir(parents=True, exist_ok=True)
    _run([sys.executable, "-m", "venv", str(venv)], "python -m venv")
    _run(
        [str(python), "-m", "pip", "install", "--quiet", *BOTBUILDER_PACKAGES],
        "pip install",
    )
    (venv / _VENV_READY).write_text(" ".join(BOTBUILDER_PACKAGES) + "\n", encoding="utf-8")
    print("bench.turns: botbuilder venv ready.", file=sys.stderr, flush=True)
    return python


def _run(command: Sequence[str], what: str) -> None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=900)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise BotError(f"{what} failed: {error}") from error
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-15:])
        raise BotError(f"{what} failed (exit {done.returncode}):\n{tail}")


def package_versions(python: Path, names: Sequence[str]) -> dict[str, str]:
    """Versions of packages as another interpreter (a venv's python) sees them."""
    script = (
        "import sys\nfrom importlib import metadata\n"
        "for name in sys.argv[1:]:\n"
        "    try:\n        print(name, metadata.version(name))\n"
        "    except metadata.PackageNotFoundError:\n        print(name, '-')\n"
    )
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        done = subprocess.run(
            [str(python), "-I", "-c", script, *names], capture_output=True, text=True, timeout=30
        )
        return dict(line.split(" ", 1) for line in done.stdout.splitlines() if " " in line)
    return {name: "-" for name in names}
