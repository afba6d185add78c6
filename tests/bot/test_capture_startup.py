"""Start-up proves that captures can work before saying they are on (issue 25).

Where the check fails, captures stay off, the log says why in one line (naming the folder and
what to do), and `/readyz` and the admins' `register` card say that captures are off.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import pytest

from bot.app import CAPTURE
from bot.capture import setup
from bot.settings import Settings
from domain.policy import Policy
from tests.bot.channel_story import Story
from tests.capture.check import start_up_reason
from tests.conftest import BotFactory
from tests.support.connector_emulator import ConnectorEmulator
from tests.support.factories import make_user

OFF_SV = "Kanalkollen tar inga egna bilder av kanalernas sidor just nu"


def _off_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage() for r in caplog.records if "captures of public pages are" in r.getMessage()
    ]


async def test_a_failing_start_up_check_keeps_captures_off_and_says_why_in_one_line(
    caplog: pytest.LogCaptureFixture, clock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(setup, "ENV_FILE", tmp_path / ".env")
    settings = Settings(
        capture_disabled=False,
        chromium_path=Path("/bin/false"),  # a "browser" that never starts
        files_dir=tmp_path / "files",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'kanalkollen.db'}",
    )
    caplog.set_level(logging.INFO, logger="bot.capture.setup")

    assert await setup.capturer_for(settings, clock) is None

    [line] = _off_lines(caplog)  # never "are on"
    assert line.startswith("captures of public pages are off") and "\n" not in line
    if start_up_reason() is None:  # the machine can confine the browser: the launch failed
        assert str(setup.CHECKOUT) in line
        assert "clone where others can read" in line and "CAPTURE_USER" in line
    else:
        assert "CHROMIUM_PATH=none" in line or "CAPTURE_USER" in line


async def test_readyz_and_the_admin_card_say_when_captures_are_off(
    start_bot: BotFactory, emulator: ConnectorEmulator
):
    admin = make_user(8)
    bot = await start_bot(policy=Policy(admins=(admin.aad_object_id,)))
    assert bot.app[CAPTURE] is None

    async with bot.client._client().get(f"{bot.url}/readyz") as response:
        assert response.status == 200
        assert await response.json() == {"status": "ready", "captures": "off"}
    story = Story(bot, emulator)
    await story.say(admin, "register")
    _, card = story.last_card_to(admin.conversation_id)
    assert OFF_SV in str(card)


async def test_readyz_and_the_admin_card_say_nothing_is_off_when_captures_work(
    start_bot: BotFactory, emulator: ConnectorEmulator, tmp_path: Path, caplog
):
    why = start_up_reason()
    if why is not None:
        pytest.skip(f"captures are off here: {why}")
    admin = make_user(8)
    caplog.set_level(logging.INFO, logger="bot.capture.setup")
    base = Settings(files_dir=tmp_path / "files")
    bot = await start_bot(
        replace(base, capture_disabled=False, capture_allow_loopback_for_tests=True),
        policy=Policy(admins=(admin.aad_object_id,)),
    )
    assert bot.app[CAPTURE] is not None
    assert [line.split(":")[0] for line in _off_lines(caplog)] == [
        "captures of public pages are on"
    ]

    async with bot.client._client().get(f"{bot.url}/readyz") as response:
        assert (await response.json())["captures"] == "on"
    story = Story(bot, emulator)
    await story.say(admin, "register")
    _, card = story.last_card_to(admin.conversation_id)
    assert OFF_SV not in str(card)
