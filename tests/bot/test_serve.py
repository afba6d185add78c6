"""`kanalkollen serve` as `make run` starts it: local mode answers a Teams POST in Swedish."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from pathlib import Path

import aiohttp

from tests.support.connector_emulator import ConnectorEmulator
from tests.support.factories import make_message, make_user


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _wait_healthy(url: str, process: asyncio.subprocess.Process) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(300):
            if process.returncode is not None:
                raise AssertionError("kanalkollen serve exited early")
            try:
                async with session.get(f"{url}/readyz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError("kanalkollen serve did not become ready")


async def test_serve_in_local_mode_answers_in_swedish(emulator: ConnectorEmulator, tmp_path: Path):
    port = _free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli.main",
        "serve",
        env={"PATH": os.environ.get("PATH", ""), "PORT": str(port)},
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        await _wait_healthy(url, process)
        user = make_user(1)
        async with aiohttp.ClientSession() as session:
            activity = make_message("hjälp", user=user, service_url=emulator.service_url)
            async with session.post(f"{url}/api/messages", json=activity) as response:
                assert response.status == 200
        await emulator.wait_for_count(1)
        [card] = emulator.cards(user.conversation_id)
        assert card["body"][0]["text"] == "Det här kan Kanalkollen"
        assert (tmp_path / "var" / "kanalkollen.db").exists()  # the default SQLite file
    finally:
        process.terminate()
        _, err = await asyncio.wait_for(process.communicate(), timeout=20)
    log = err.decode()
    assert "local mode" in log
    assert f"http://127.0.0.1:{port}/api/messages only" in log


async def test_a_request_without_content_type_is_415(emulator: ConnectorEmulator, start_bot):
    # CloudAdapter.process raises (500) on a request without Content-Type; we answer 415.
    bot = await start_bot()
    body = b'{"type": "message"}'
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{bot.url}/api/messages", data=body, skip_auto_headers=["Content-Type"]
        ) as response,
    ):
        assert "Content-Type" not in response.request_info.headers
        assert response.status == 415
