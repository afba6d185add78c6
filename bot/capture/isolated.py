"""The bot's side of a capture: the browser runs in a helper process, as the capture user.

Why a helper process rather than Playwright in the bot: Playwright starts its Node.js driver
with the whole environment of the process that starts it (the app password, the SMTP password,
the signing key), and the driver and the page's answers are the parts that handle hostile
input. Starting one small Python process ourselves, as another user and with the minimal
environment, puts all of them (the helper's own fetches of the page, the driver, Chromium with
its sandbox) outside the bot's privileges, with no patching of Playwright's internals, and
keeps Chromium talking to the driver over its private pipe rather than a debugging port that
any local process could reach (`connect_over_cdp`).

One capture at a time; a helper that dies, or does not answer within the page's time limit and
a grace, is killed with everything it started, and a new one is started for the next capture.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.capture.browser import Capture
from bot.capture.helper import capture_from, decode_head
from bot.capture.isolation import (
    CaptureUser,
    minimal_environment,
    private_profile,
    remove_profile,
)
from domain.clock import Clock

log = logging.getLogger(__name__)

# Beyond the page's own limit: starting the helper and the browser, and handing the files over.
GRACE_SECONDS = 30.0
_HELPER = (sys.executable, "-m", "bot.capture.helper")


class IsolatedCapturer:
    """Captures pages in a helper process that runs as the capture user."""

    def __init__(
        self,
        executable: Path,
        clock: Clock,
        user: CaptureUser,
        *,
        timeout_seconds: float = 30.0,
        max_bytes: int = 25 * 1024 * 1024,
        allow_loopback_for_tests: bool = False,
    ) -> None:
        self._executable = executable
        self._clock = clock
        self.user = user
        self._timeout = timeout_seconds
        self._max_bytes = max_bytes
        self._allow_loopback = allow_loopback_for_tests
        self._process: asyncio.subprocess.Process | None = None
        self._profile: Path | None = None
        self._lock = asyncio.Lock()
        self.launches = 0
        self.sandboxed: bool | None = None  # as the helper last reported

    @property
    def pid(self) -> int | None:
        """The helper's process id while it runs (tests look below it)."""
        return self._process.pid if self._process is not None else None

    async def capture(self, url: str) -> Capture:
        """Captures one page in the helper; never raises for the page's or the helper's faults."""
        async with self._lock:
            now = self._clock.now()
            while True:
                was_running = self._process is not None
                try:
                    process = await self._ensure_helper(now)
                    return await asyncio.wait_for(
                        self._ask(process, url, now), self._timeout + GRACE_SECONDS
                    )
                except TimeoutError:
                    log.warning("capture: the helper did not answer in time; it is restarted")
                    await self._stop_helper(kill=True)
                    return Capture(url, url, now, None, "timed_out")
                except (OSError, EOFError, ValueError, KeyError, asyncio.IncompleteReadError) as e:
                    log.warning(
                        "capture: the helper failed (%s); it is restarted", type(e).__name__
                    )
                    await self._stop_helper(kill=True)
                    if not was_running:  # a helper that died since the last capture: once more
                        return Capture(url, url, now, None, "browser_failed")

    async def check(self) -> dict[str, Any]:
        """The start-up check (issue 25): starts the helper as the capture user, which confines
        itself, imports what it needs and launches the browser once.

        The helper's answer: {"ok": True, "sandboxed": ...}, or {"ok": False, "step", "why"}
        with step "confine", "import", "launch" or "start" (the helper did not answer).
        """
        async with self._lock:
            try:
                process = await self._ensure_helper(self._clock.now())
                assert process.stdout is not None
                await self._send(process, {"probe": True})
                line = await asyncio.wait_for(
                    process.stdout.readline(), self._timeout + GRACE_SECONDS
                )
                if not line:
                    raise EOFError("the capture helper stopped")
                answer = dict(json.loads(line)["probe"])
            except (OSError, EOFError, ValueError, KeyError, TypeError, TimeoutError) as error:
                answer = {"ok": False, "step": "start", "why": f"{type(error).__name__}: {error}"}
            if answer.get("ok"):
                self.sandboxed = answer.get("sandboxed")
            else:
                await self._stop_helper(kill=True)
            return answer

    async def close(self) -> None:
        """Stops the helper, its driver and its browser, and deletes the profile."""
        async with self._lock:
            await self._stop_helper(kill=False)

    async def _ensure_helper(self, now: datetime) -> asyncio.subprocess.Process:
        if self._process is not None and self._process.returncode is None:
            return self._process
        await self._stop_helper(kill=True)
        self._profile = private_profile(self.user)
        # The helper starts as the bot's user with the minimal environment and becomes the
        # capture user itself, before it reads a page (bot.capture.isolation.drop_privileges).
        process = await asyncio.create_subprocess_exec(
            *_HELPER,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env=minimal_environment(self._profile),
            cwd=self._profile,
            start_new_session=True,  # its own process group
        )
        self._process = process
        self.launches += 1
        options = {
            "chromium": str(self._executable),
            "timeout_seconds": self._timeout,
            "max_bytes": self._max_bytes,
            "allow_loopback_for_tests": self._allow_loopback,
            "now": now.isoformat(),
            "uid": None if self.user.is_self else self.user.uid,
            "gid": None if self.user.is_self else self.user.gid,
        }
        await self._send(process, options)
        log.info("capture: helper %d started as %s", process.pid, self.user.name)
        return process

    async def _ask(self, process: asyncio.subprocess.Process, url: str, now: datetime) -> Capture:
        assert process.stdout is not None
        await self._send(process, {"url": url, "now": now.isoformat()})
        line = await process.stdout.readline()
        if not line:
            raise EOFError("the capture helper stopped")
        head = decode_head(line)
        png, pdf, warc = [await process.stdout.readexactly(int(n)) for n in head["sizes"]]
        self.sandboxed = head.get("sandboxed")
        return capture_from(head, png, pdf, warc)

    @staticmethod
    async def _send(process: asyncio.subprocess.Process, message: dict[str, object]) -> None:
        assert process.stdin is not None
        process.stdin.write(json.dumps(message).encode() + b"\n")
        await process.stdin.drain()

    async def _stop_helper(self, *, kill: bool) -> None:
        process, self._process = self._process, None
        if process is not None and process.returncode is None:
            # The browser is started in a process group of its own: every process below the
            # helper is collected before anything is stopped, so none is left running.
            below = descendants(process.pid)
            if not kill and process.stdin is not None:
                process.stdin.close()  # the helper closes the browser and exits
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(process.wait(), 15)
            self._kill([process.pid, *below])
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), 10)
        if self._profile is not None:
            # A helper that died by itself leaves its driver and browser to init: they are
            # found by the profile folder they run in, and stopped before it is deleted.
            for _attempt in range(20):
                left = using_folder(self._profile)
                if not left:
                    break
                self._kill(left)
                await asyncio.sleep(0.05)
            for _attempt in range(5):
                if remove_profile(self._profile):
                    break
                await asyncio.sleep(0.1)
            else:
                log.warning("capture: could not delete the profile folder %s", self._profile)
            self._profile = None

    def _kill(self, pids: list[int]) -> None:
        for pid in pids:
            if _owner(pid) in (self.user.uid, os.geteuid()):  # never a reused id of others
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)


def _owner(pid: int) -> int | None:
    """The real user id of a running process (None when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("Uid:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def using_folder(folder: Path) -> list[int]:
    """The processes whose command line names a folder (the browser's --user-data-dir)."""
    needle = str(folder).encode()
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                if needle in Path(f"/proc/{entry}/cmdline").read_bytes():
                    found.append(int(entry))
            except OSError:
                continue
    return found


def descendants(root: int) -> list[int]:
    """The process ids below `root`, children first (Linux: read from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            status = Path(f"/proc/{entry}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("PPid:"):
                children.setdefault(int(line.split()[1]), []).append(int(entry))
                break
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(0), []):
            found.append(child)
            todo.append(child)
    return found
