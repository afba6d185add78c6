"""Headless Chromium for page tests, driven by its command line (no Playwright, no npm).

`require_chromium()` finds Debian's `/usr/bin/chromium`; where it is missing it tries
`apt-get install -y chromium` once per test session (as root, with apt available), and
otherwise skips the test with the reason. `dump_dom` and `screenshot` run one Chromium
process each, in its own process group, with a bounded time; on timeout the group is killed.

`parse_table` and `select_options` read the rendered DOM with the standard library's parser.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass, field
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
INSTALL_TIMEOUT_SECONDS = 900
RUN_TIMEOUT_SECONDS = 60
WINDOW_SIZE = (1280, 900)
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

_FLAGS = (
    "--headless",
    "--no-sandbox",  # root in a container has no user namespaces for the sandbox
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",  # containers often have a tiny /dev/shm
    "--no-proxy-server",  # the page is on loopback; a configured proxy must not see it
    "--hide-scrollbars",
)


class BrowserError(RuntimeError):
    """Chromium did not finish, or finished without the expected output."""


@cache
def _install_chromium() -> str | None:
    """Installs Debian's chromium once; returns why it could not, or None when it did."""
    if os.name != "posix" or os.geteuid() != 0:
        return "chromium is not installed and the tests do not run as root to install it"
    apt = shutil.which("apt-get")
    if apt is None:
        return "chromium is not installed and apt-get is not available to install it"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    # Another test run may hold the dpkg lock: wait for it rather than fail.
    install = [apt, "-o", "DPkg::Lock::Timeout=600", "install", "-y", "chromium"]
    try:
        result = subprocess.run(
            install,
            env=env,
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT_SECONDS,
            check=False,
        )
        if result.returncode != 0:
            # A fresh machine has no package lists yet: fetch them once, then try again.
            subprocess.run(
                [apt, "-o", "DPkg::Lock::Timeout=600", "update"],
                env=env,
                capture_output=True,
                timeout=INSTALL_TIMEOUT_SECONDS,
                check=False,
            )
            result = subprocess.run(
                install,
                env=env,
                capture_output=True,
                text=True,
                timeout=INSTALL_TIMEOUT_SECONDS,
                check=False,
            )
    except subprocess.TimeoutExpired:
        return f"apt-get install chromium took longer than {INSTALL_TIMEOUT_SECONDS} s"
    if result.returncode != 0 or not CHROMIUM.exists():
        tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        return f"apt-get install -y chromium failed ({result.returncode}): {' / '.join(tail)}"
    return None


def require_chromium() -> Path:
    """Returns Chromium's path, installing it once if needed, or skips with the reason."""
    if CHROMIUM.exists():
        return CHROMIUM
    reason = _install_chromium()
    if reason is not None:
        pytest.skip(reason)
    return CHROMIUM


@dataclass
class Chromium:
    """One browser binary and a throwaway profile folder (and HOME) for its runs."""

    binary: Path
    profile: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="kk-chromium-")))

    def _command(self, *extra: str) -> list[str]:
        width, height = WINDOW_SIZE
        return [
            str(self.binary),
            *_FLAGS,
            f"--user-data-dir={self.profile / 'profile'}",
            f"--window-size={width},{height}",
            *extra,
        ]

    async def _run(self, command: list[str], seconds: float) -> tuple[int, bytes, bytes]:
        env = {**os.environ, "HOME": str(self.profile)}
        process = await asyncio.create_subprocess_exec(
            *command,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
            start_new_session=True,  # its renderer and zygote share the group, killed together
        )
        try:
            out, err = await asyncio.wait_for(process.communicate(), seconds)
        except TimeoutError:
            _kill_group(process.pid)
            await process.wait()
            raise BrowserError(f"chromium took longer than {seconds} s: {command[-1]}") from None
        return process.returncode or 0, out, err

    async def dump_dom(self, url: str, *, seconds: float = RUN_TIMEOUT_SECONDS) -> str:
        """Loads a page and returns the DOM as the browser serialises it after rendering."""
        code, out, err = await self._run(self._command("--dump-dom", url), seconds)
        dom = out.decode("utf-8", errors="replace")
        if code != 0 or "<html" not in dom:
            raise BrowserError(f"--dump-dom {url} exited {code}: {_tail(err)}")
        return dom

    async def screenshot(
        self, url: str, path: Path, *, seconds: float = RUN_TIMEOUT_SECONDS
    ) -> Path:
        """Loads a page and saves a PNG of the window."""
        await asyncio.to_thread(_clear, path)
        code, _, err = await self._run(self._command(f"--screenshot={path}", url), seconds)
        if code != 0 or not await asyncio.to_thread(path.is_file):
            raise BrowserError(f"--screenshot {url} exited {code}: {_tail(err)}")
        return path

    def close(self) -> None:
        """Removes the profile folder."""
        shutil.rmtree(self.profile, ignore_errors=True)


def _clear(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)


def _kill_group(pid: int) -> None:
    """Kills a process group we started (Chromium and its helpers) after a timeout."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def _tail(err: bytes) -> str:
    lines = err.decode("utf-8", errors="replace").strip().splitlines()
    return " / ".join(lines[-5:]) or "no output"


def png_size(path: Path) -> tuple[int, int]:
    """Returns a PNG's width and height from its IHDR chunk; raises if it is not a PNG."""
    head = path.read_bytes()[:24]
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        raise ValueError(f"{path} is not a PNG")
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


# --- reading a rendered DOM -------------------------------------------------------------------


@dataclass
class Table:
    """A table's caption, its column headings (with their scope) and its body rows."""

    caption: str = ""
    headings: list[tuple[str, str | None]] = field(default_factory=list)
    rows: list[tuple[str, ...]] = field(default_factory=list)
    links: list[dict[str, str | None]] = field(default_factory=list)


class _TableParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[Table] = []
        self._text: list[str] | None = None
        self._row: list[str] | None = None
        self._scope: str | None = None
        self._in_body = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append(Table())
        elif not self.tables:
            return
        elif tag in {"caption", "th", "td"}:
            self._text = []
            self._scope = dict(attrs).get("scope")
        elif tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self._row = []
        elif tag == "a" and self._row is not None:
            self.tables[-1].links.append(dict(attrs))

    def handle_endtag(self, tag: str) -> None:
        if not self.tables:
            return
        table = self.tables[-1]
        text = " ".join("".join(self._text or []).split())
        if tag == "caption":
            table.caption = text
            self._text = None
        elif tag == "th" and not self._in_body:
            table.headings.append((text, self._scope))
            self._text = None
        elif tag == "td" and self._row is not None:
            self._row.append(text)
            self._text = None
        elif tag == "tr" and self._row is not None:
            table.rows.append(tuple(self._row))
            self._row = None
        elif tag == "tbody":
            self._in_body = False

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)


def parse_table(document: str) -> Table | None:
    """Returns the first table of an HTML document, or None if it has none."""
    parser = _TableParser()
    parser.feed(document)
    parser.close()
    return parser.tables[0] if parser.tables else None


class _SelectParser(HTMLParser):
    def __init__(self, select_id: str) -> None:
        super().__init__(convert_charrefs=True)
        self.select_id = select_id
        self.options: list[tuple[str, str, bool]] = []
        self._inside = False
        self._option: tuple[str, bool] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "select":
            self._inside = values.get("id") == self.select_id
        elif tag == "option" and self._inside:
            self._option = (values.get("value") or "", "selected" in values)
            self._text = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "option" and self._option is not None:
            value, selected = self._option
            self.options.append((value, " ".join("".join(self._text).split()), selected))
            self._option = None
        elif tag == "select":
            self._inside = False

    def handle_data(self, data: str) -> None:
        if self._option is not None:
            self._text.append(data)


def select_options(document: str, select_id: str) -> list[tuple[str, str, bool]]:
    """Returns (value, label, selected) of each option of the <select> with this id."""
    parser = _SelectParser(select_id)
    parser.feed(document)
    parser.close()
    return parser.options
