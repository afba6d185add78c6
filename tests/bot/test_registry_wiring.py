"""R8 wiring: the public list served by the real create_app, and `kanalkollen registry export`."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import aiohttp

from storage.db import create_engine, session_factory
from storage.migrate import upgrade_head
from tests.conftest import BotFactory
from tests.support.cli import run_kanalkollen_bytes
from tests.support.registry_data import LEAKS, add_channel


async def test_r8_create_app_serves_the_public_list(start_bot: BotFactory):
    bot = await start_bot()
    await add_channel(bot.sessions, "Ugglan", unit="Östra fritidsgården")

    async with aiohttp.ClientSession() as http:
        async with http.get(f"{bot.url}/registry") as response:
            page = await response.text()
            assert response.status == 200
            assert response.headers["Cache-Control"] == "public, max-age=300"
        async with http.get(f"{bot.url}/registry.json") as response:
            document = await response.json()

    assert "<td>Ugglan</td>" in page
    assert [c["unit"] for c in document["channels"]] == ["Östra fritidsgården"]
    assert document["channels"][0]["administration"] == "Skol- och fritidsförvaltningen"


async def _export(fmt: str, url: str, cwd: Path) -> tuple[int, bytes, str]:
    return await run_kanalkollen_bytes(
        "registry", "export", "--format", fmt, env={"DATABASE_URL": url}, cwd=cwd, seconds=60
    )


async def test_r8_registry_export_prints_the_public_fields(tmp_path: Path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'k.db'}"
    engine = create_engine(url)
    await upgrade_head(engine)
    await add_channel(session_factory(engine), 'Åby "Elevrådet"; idrott', unit="Åby skola")
    await engine.dispose()

    code, out, err = await _export("csv", url, tmp_path)
    assert code == 0, err
    assert out.startswith(b"\xef\xbb\xbfPlattform;Kanalens namn;")
    rows = list(csv.reader(io.StringIO(out.decode("utf-8")[1:], newline=""), delimiter=";"))
    assert rows[1][:4] == [
        "Instagram",
        'Åby "Elevrådet"; idrott',
        "https://www.instagram.com/ugglan",
        "Åby skola",
    ]

    code, out, err = await _export("json", url, tmp_path)
    assert code == 0, err
    assert json.loads(out)["count"] == 1
    assert [leak for leak in LEAKS if leak.encode() in out] == []


async def test_registry_export_refuses_an_unknown_format(tmp_path: Path):
    code, _, err = await _export("xlsx", f"sqlite+aiosqlite:///{tmp_path / 'k.db'}", tmp_path)

    assert code == 2
    assert "invalid choice: 'xlsx'" in err
