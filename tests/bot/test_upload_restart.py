"""Issue 24, point 12: a documentation round goes on after the bot is killed (SIGKILL) while it
downloads an editor's second screenshot, and started again on the same SQLite database (R12).

The bot runs as a real process on a loopback port (`tests/support/serve_for_tests.py`:
`kanalkollen serve` with loopback captures allowed), with captures on: the channel's start page
is a loopback page that never answers, so its capture stays unfinished, as one cut off by the
kill does (its row stays "running" under the dead process's lease). Where captures cannot work
here, the test is skipped with the start-up check's reason. Before the fix, `klar`
after the restart only said "Jag håller fortfarande på med bilden…" and the round stood still.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import sqlite3
import sys
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select, update

from bot.cli.channel_import import import_channels
from domain.channel_import import parse_channels
from domain.clock import SystemClock
from domain.policy import Policy
from storage.db import create_engine, session_factory
from storage.migrate import upgrade_head
from storage.models import ChannelRow
from tests.bot.active_story import png
from tests.capture.check import start_up_reason
from tests.support.connector_emulator import ConnectorEmulator
from tests.support.database import sqlite_url
from tests.support.directory import SWEDISH_HEADER, StubDirectory
from tests.support.factories import TENANT_ID, TeamsUser, make_execute, make_message, make_user
from tests.support.file_server import FileServer

EDITOR, MANAGER = make_user(2), make_user(3)
ADDRESS = "https://www.instagram.com/ugglan"
POLL = 0.05
REPO_ROOT = Path(__file__).resolve().parents[2]
WITHIN = 60.0  # seconds: room on a busy machine; what is checked is what the answer says


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _until(condition: Callable[[], bool], what: str, seconds: float = WITHIN) -> None:
    """Polls a condition until it holds; fails naming what did not happen."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"{what} did not happen within {seconds} s")
        await asyncio.sleep(POLL)


async def _seed(database_url: str, today: date, start_page: str) -> int:
    """Ugglan, active, with its round due today and the editor, its public start page at
    `start_page`; returns the channel's id."""
    engine = create_engine(database_url)
    try:
        await upgrade_head(engine)
        text = (
            SWEDISH_HEADER + f"\nInstagram;Ugglan;{ADDRESS};Ugglan;"
            f"{MANAGER.email};{EDITOR.email};{today.replace(day=1).isoformat()};\n"
        )
        rows, errors = parse_channels(text, today=today)
        assert errors == []
        sessions = session_factory(engine)
        await import_channels(
            sessions,
            Policy(),
            StubDirectory(),
            TENANT_ID,
            rows,
            SystemClock().now(),
            dry_run=False,
        )
        async with sessions.begin() as session:
            await session.execute(
                update(ChannelRow).values(next_documentation_due=today, address=start_page)
            )
            return int((await session.scalars(select(ChannelRow.id))).one())
    finally:
        await engine.dispose()


class Served:
    """`kanalkollen serve` as a real process (in a process group of its own) on loopback."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.port = _free_port()
        self._env = {
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": str(REPO_ROOT),  # tests.support.serve_for_tests, from any cwd
            **env,
            "PORT": str(self.port),
        }
        self._cwd = cwd
        self.process: asyncio.subprocess.Process | None = None
        self.log = cwd / f"serve-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        with self.log.open("wb") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "tests.support.serve_for_tests",
                env=self._env,
                cwd=self._cwd,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        process = self.process
        async with aiohttp.ClientSession() as client:

            async def ready() -> bool:
                with contextlib.suppress(aiohttp.ClientConnectionError):
                    async with client.get(f"{self.url}/readyz") as response:
                        return response.status == 200
                return False

            loop = asyncio.get_running_loop()
            deadline = loop.time() + 60
            while not await ready():
                assert process.returncode is None, self.log.read_text()
                assert loop.time() < deadline, "kanalkollen serve did not become ready"
                await asyncio.sleep(POLL)

    async def post(self, activity: dict[str, Any]) -> int:
        async with (
            aiohttp.ClientSession() as client,
            client.post(f"{self.url}/api/messages", json=activity) as response,
        ):
            return response.status

    async def kill(self) -> None:
        """kill -9 of the bot's own process: its helpers are left as a crash leaves them."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    async def stop(self) -> None:
        """Ends the process and whatever it started (the capture helper, the browser)."""
        if self.process is None:
            return
        if self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 20)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)


@pytest.fixture
async def servers() -> AsyncIterator[list[Served]]:
    started: list[Served] = []
    yield started
    for served in started:
        await served.stop()


def _files_message(user: TeamsUser, service_url: str, **urls: str) -> dict[str, Any]:
    """One Teams message carrying files (name without .png -> download URL)."""
    message = make_message("", user=user, service_url=service_url)
    message["attachments"] = [
        {
            "contentType": "application/vnd.microsoft.teams.file.download.info",
            "name": f"{name}.png",
            "content": {"downloadUrl": url, "uniqueId": name, "fileType": "png"},
        }
        for name, url in urls.items()
    ]
    return message


def _receipts(database: Path) -> list[str]:
    """The statuses of the outbox's "send them again" messages (bot/teams/upload_receipts.py)."""
    with contextlib.closing(sqlite3.connect(database)) as db:
        rows = db.execute("SELECT status, payload FROM outbox ORDER BY id").fetchall()
    return [
        s
        for s, payload in rows
        if "startade om" in json.loads(payload).get("activity", {}).get("text", "")
    ]


def _capture_statuses(database: Path) -> list[str]:
    with contextlib.closing(sqlite3.connect(database)) as db:
        return [status for (status,) in db.execute("SELECT status FROM captures")]


async def test_r12_a_round_goes_on_after_a_kill_during_a_download(
    emulator: ConnectorEmulator,
    files: FileServer,
    tmp_path: Path,
    servers: list[Served],
):
    if (reason := start_up_reason()) is not None:
        pytest.skip(f"captures are off here: {reason}")
    database_url = sqlite_url(tmp_path)
    database = tmp_path / "kanalkollen.db"
    today = datetime.now(UTC).date()
    # The start page answers only after the test: its capture stays running.
    start_page = files.serve("ugglan.html", b"<html></html>", content_type="text/html", delay=600)
    channel_id = await _seed(database_url, today, start_page)
    for user in (EDITOR, MANAGER):
        user.add_to(emulator)
    env = {
        "DATABASE_URL": database_url,
        "FILES_DIR": str(tmp_path / "files"),
        "DOWNLOAD_TIMEOUT_SECONDS": "600",  # the held download ends only with the kill
        "CAPTURE_TIMEOUT_SECONDS": "600",
    }
    service_url = emulator.service_url
    said: Callable[[], list[str]] = lambda: emulator.texts(EDITOR.conversation_id)  # noqa: E731

    first = Served(env, tmp_path)
    servers.append(first)
    await first.start()
    # The editor presses *Dokumentera nu*; the start page's capture is queued and taken.
    assert await first.post(make_message("hej", user=EDITOR, service_url=service_url)) == 200
    data = {"channel_id": channel_id, "due": today.isoformat(), "verb": "documentation.start"}
    pressed = make_execute("documentation.start", data, user=EDITOR, service_url=service_url)
    assert await first.post(pressed) == 200
    await _until(lambda: any(t.startswith("Skicka skärmdumparna") for t in said()), "ask")
    await _until(lambda: _capture_statuses(database) == ["running"], "the capture taken")
    one = files.serve("ett.png", png(5), content_type="image/png")
    assert await first.post(_files_message(EDITOR, service_url, ett=one)) == 200
    await _until(lambda: any("tagit emot 1 fil" in t for t in said()), "the first file kept")
    # Its turn is over: its "send them again" receipt is put away (before the kill, on a busy
    # machine too).
    await _until(lambda: _receipts(database) == ["cancelled"], "the first receipt put away")
    # The second screenshot's download is held open by the file server; then kill -9.
    held = files.serve("tva.png", png(6), content_type="image/png", delay=600)
    assert await first.post(_files_message(EDITOR, service_url, tva=held)) == 200
    await _until(lambda: bool(files.requests_to("tva.png")), "the second download")

    await first.kill()

    second = Served(env, tmp_path)
    servers.append(second)
    await second.start()
    again = files.serve("tva-igen.png", png(6), content_type="image/png")
    assert await second.post(_files_message(EDITOR, service_url, tva=again)) == 200
    await _until(
        lambda: (
            "Jag har tagit emot 2 fil(er) hittills. Skicka fler, eller skriv **klar**." in said()
        ),
        "the second file kept after the restart",
    )
    assert _capture_statuses(database) == ["running"]  # still held by the killed process
    before = len(said())
    assert await second.post(make_message("klar", user=EDITOR, service_url=service_url)) == 200

    await _until(lambda: len(said()) > before, "an answer to klar")
    answer = said()[before]
    assert answer.startswith("Vilken av filerna visar startsidan?"), answer
    assert "1. ett.png" in answer and "2. tva.png" in answer
    # The killed turn's receipt still asks for tva.png in a while: the same name sent again
    # need not be the same file (pasted images are all "image.png"), and an ask too many is
    # better than a record lost without a word.
    assert _receipts(database) == ["cancelled", "pending", "cancelled"]
