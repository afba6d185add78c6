"""Issue 23: what one approval click costs, next to a `hjälp` turn, through the real HTTP app.

For each of N requests the manager clicks *Godkänn* (Action.Execute); between them a person
types `hjälp`. Reported: CPU time per approval click and per `hjälp` turn (process time of this
process, which runs the app, the connector emulator and the client), database sessions (pool
checkouts) and commits per click, and the project modules a click enters.

    .venv/bin/python -m bench.approval_click            # 200 clicks
    .venv/bin/python -m bench.approval_click --clicks 50 --json

Run from the repository root (it imports `tests.support`). SQLite in a temporary folder; no
delivery loop (the outbox is drained between clicks, outside the measurement).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestServer
from sqlalchemy import select

from bot.app import DELIVERY, ENGINE, SESSIONS, create_app
from bot.settings import Settings
from domain.clock import FixedClock
from storage.models import ChannelRow
from tests.bot.channel_story import form_answers
from tests.conftest import START
from tests.support.connector_emulator import ConnectorEmulator
from tests.support.db_counts import counted
from tests.support.factories import make_execute, make_message, make_user
from tests.support.teams_client import TeamsClient

PACKAGES = ("bot", "dialogs", "cards", "storage", "domain")


async def _run(clicks: int) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="kanalkollen-bench-"))
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{folder / 'bench.db'}", files_dir=folder / "files"
    )
    async with ConnectorEmulator() as emulator:
        app = create_app(settings, clock=FixedClock(START), deliver=False, schedule=False)
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        client = TeamsClient(str(server.make_url("")).rstrip("/"))
        url = emulator.service_url
        requester, editor, manager, asker = (make_user(i) for i in (1, 2, 3, 4))
        click_cpu: list[float] = []
        help_cpu: list[float] = []
        sessions: list[int] = []
        commits: list[int] = []
        modules: set[str] = set()
        for user in (requester, manager, asker):
            await client.post(make_message("hej", user=user, service_url=url))
        for index in range(clicks):
            await client.post(make_message("ny kanal", user=requester, service_url=url))
            answers = form_answers(editor, manager, name=f"Kanal {index}")
            await client.post(
                make_execute(
                    "channel.submit",
                    {**answers, "verb": "channel.submit"},
                    user=requester,
                    service_url=url,
                )
            )
            await app[DELIVERY].drain()
            async with app[SESSIONS]() as session:
                channel = (
                    await session.scalars(select(ChannelRow).order_by(ChannelRow.id.desc()))
                ).first()
            assert channel is not None
            data = {"channel_id": channel.id, "version": channel.version, "login_access": "true"}
            trace = index == 0
            if trace:
                sys.setprofile(_collector(modules))
            with counted(app[ENGINE]) as counts:
                started = time.process_time()
                status, _ = await client.post(
                    make_execute(
                        "approval.approve",
                        {**data, "verb": "approval.approve"},
                        user=manager,
                        service_url=url,
                    )
                )
                click_cpu.append(time.process_time() - started)
            if trace:
                sys.setprofile(None)
            assert status == 200
            sessions.append(counts["sessions"])
            commits.append(counts["commits"])
            started = time.process_time()
            await client.post(make_message("hjälp", user=asker, service_url=url))
            help_cpu.append(time.process_time() - started)
            await app[DELIVERY].drain()
        await client.close()
        await server.close()
    return {
        "clicks": clicks,
        "approval_cpu_ms_p50": round(statistics.median(click_cpu) * 1000, 2),
        "help_cpu_ms_p50": round(statistics.median(help_cpu) * 1000, 2),
        "sessions_per_click": statistics.mode(sessions),
        "commits_per_click": statistics.mode(commits),
        "modules_entered": len(modules),
        "modules": sorted(modules),
    }


def _collector(modules: set[str]):  # type: ignore[no-untyped-def]
    root = str(Path(__file__).resolve().parents[1])

    def profile(frame: Any, what: str, _arg: Any) -> None:
        if what == "call":
            name = frame.f_code.co_filename
            if name.startswith(root) and "/tests/" not in name and "/bench/" not in name:
                relative = name[len(root) + 1 :]
                if relative.split("/", 1)[0] in PACKAGES:
                    modules.add(relative)

    return profile


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = asyncio.run(_run(args.clicks))
    if args.json:
        print(json.dumps(result, indent=2))
        return
    for key, value in result.items():
        if key != "modules":
            print(f"{key:>24}: {value}")


if __name__ == "__main__":
    main()
