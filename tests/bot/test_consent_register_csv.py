"""Issue 24, point 11: the consent register's CSV is made when its signed link is opened and
never stored, and it defuses formulas with the public list's own guard (R10)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import aiohttp
import pytest
from sqlalchemy import select, update

import dialogs.consent.register as register_module
import domain.registry
from domain.clock import FixedClock
from storage.models import ChannelEditorRow, ConsentRow
from tests.bot.active_story import EDITOR_A, active_story, card_of, channel_id, execute
from tests.bot.channel_story import Story
from tests.conftest import BotFactory
from tests.support.cli import run_kanalkollen
from tests.support.connector_emulator import ConnectorEmulator
from tests.support.smtp_sink import SmtpSink


@pytest.fixture
async def story(
    start_bot: BotFactory, emulator: ConnectorEmulator, clock: FixedClock, smtp: SmtpSink, tmp_path
) -> Story:  # type: ignore[no-untyped-def]
    return await active_story(start_bot, emulator, clock, smtp, tmp_path)


async def _consent(story: Story) -> int:
    """Editor A records a written consent filed on paper (no upload)."""
    channel = await channel_id(story)
    form: dict[str, Any] = {
        "rows": 1,
        "channel_id": str(channel),
        "identifiable": "yes",
        "use": "several_contexts",
        "people": "1",
        "p0_name": "Elev 9C:1",
        "p0_form": "written",
        "p0_filed": "Pärm 3",
    }
    assert "Du kan publicera" in str(
        card_of(await execute(story, EDITOR_A, "consent.check", form))
    )
    async with story.bot.sessions() as session:
        return (await session.scalars(select(ConsentRow.id))).one()


async def _link(story: Story) -> str:
    await story.say(EDITOR_A, "samtycken")
    _, card = story.last_card_to(EDITOR_A.conversation_id)
    return next(a["url"] for a in card["actions"] if a["type"] == "Action.OpenUrl")


async def _get(story: Story, path: str, query: dict[str, str]) -> tuple[int, str]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{story.bot.url}{path}?{urlencode(query)}") as response,
    ):
        return response.status, (await response.read()).decode("utf-8-sig")


async def test_the_register_csv_is_made_when_its_link_is_opened_and_never_stored(
    story: Story, clock: FixedClock
):
    await _consent(story)
    link = await _link(story)
    parts = urlsplit(link)
    query = dict(parse_qsl(parts.query))

    status, text = await _get(story, parts.path, query)

    assert status == 200 and "Elev 9C:1" in text and "Pärm 3" in text
    assert parts.path.startswith("/consent-register/") and "/files/" not in link
    assert not (story.bot.settings.files_dir / "consent-register").exists()
    stored = [p for p in story.bot.settings.files_dir.rglob("*") if p.is_file()]
    assert stored == []  # nothing was written to the file store
    # The signature covers the person and the language; a changed one, or time run out: 403.
    other = parts.path.replace("/consent-register/", "/consent-register/9")
    assert (await _get(story, other, query))[0] == 403
    assert (await _get(story, parts.path.replace("/sv.csv", "/en.csv"), query))[0] == 403
    assert (await _get(story, parts.path, {**query, "sig": query["sig"][:-2] + "AA"}))[0] == 403
    assert (await _get(story, parts.path, {"exp": query["exp"]}))[0] == 403
    # Someone who is no longer an editor gets nothing, even with a link still valid.
    async with story.bot.sessions.begin() as session:
        await session.execute(update(ChannelEditorRow).values(status="removed"))
    assert (await _get(story, parts.path, query))[0] == 404
    clock.set(clock.now() + timedelta(hours=1, seconds=1))
    assert (await _get(story, parts.path, query))[0] == 403


async def test_the_register_csv_uses_the_public_lists_formula_guard(story: Story):
    # One function, not a copy.
    assert register_module.spreadsheet_cell is domain.registry.spreadsheet_cell
    consent_id = await _consent(story)
    async with story.bot.sessions.begin() as session:
        await session.execute(
            update(ConsentRow)
            .where(ConsentRow.id == consent_id)
            .values(
                subject="\t=cmd|' /C calc'!A0", guardian="\r@SUM(1)", document_reference="+1-1"
            )
        )
    parts = urlsplit(await _link(story))

    status, text = await _get(story, parts.path, dict(parse_qsl(parts.query)))

    assert status == 200
    header, row = list(csv.reader(io.StringIO(text), delimiter=";"))
    cells = dict(zip(header, row, strict=True))
    assert cells["Person"] == "'\t=cmd|' /C calc'!A0"
    assert cells["Vårdnadshavare"] == "'\r@SUM(1)"
    assert cells["Dokument"] == "'+1-1"
    assert all(not c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in row)


async def test_an_erased_editors_link_shows_nothing(story: Story, tmp_path):  # type: ignore[no-untyped-def]
    await _consent(story)
    parts = urlsplit(await _link(story))
    query = dict(parse_qsl(parts.query))
    assert (await _get(story, parts.path, query))[0] == 200
    env = {
        "DATABASE_URL": story.bot.settings.database_url,
        "FILES_DIR": str(story.bot.settings.files_dir),
    }

    code, _, err = await run_kanalkollen(
        "person", "erase", str(EDITOR_A.email), env=env, cwd=tmp_path
    )

    assert code == 0, err
    # The tombstone keeps the editor role as a record (R3), not access to the names.
    assert (await _get(story, parts.path, query))[0] == 404
