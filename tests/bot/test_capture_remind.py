"""`kanalkollen remind` takes the captures it queued (and those a stopped server left), within
the page's time limit, and the editor sees them in the chat as with `serve` (issue 16)."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.capture.browser import find_chromium
from bot.cli.remind import run_reminders
from domain.clock import FixedClock
from storage.captures import request_capture
from storage.models import CaptureRow, ChannelRow, PersonRow
from tests.bot.active_story import at, cards_to
from tests.bot.ugglan_story import DUE, EDITOR_A, ugglan_story
from tests.capture.check import start_up_reason
from tests.conftest import BotFactory
from tests.support.capture_site import CaptureSite
from tests.support.connector_emulator import ConnectorEmulator
from tests.support.smtp_sink import SmtpSink


@pytest.fixture
def chromium() -> Path:
    why = start_up_reason()  # the production start-up check, once per session (issue 25)
    if why is not None:
        pytest.skip(f"captures are off here: {why}")
    found = find_chromium(None)
    assert found is not None
    return found


async def _stopped_server_left_a_capture(
    start_bot: BotFactory,
    emulator: ConnectorEmulator,
    clock: FixedClock,
    smtp: SmtpSink,
    tmp_path: Path,
    address: str,
):
    """Ugglan's round is open; an editor's capture was queued and then the server stopped."""
    story = await ugglan_story(start_bot, emulator, clock, smtp, tmp_path, address=address)
    clock.set(at(DUE - timedelta(days=14)))
    async with story.bot.sessions.begin() as session:
        channel = await session.scalar(select(ChannelRow.id))
        editor = await session.scalar(
            select(PersonRow.id).where(PersonRow.aad_object_id == EDITOR_A.aad_object_id)
        )
        assert channel is not None and editor is not None
        await request_capture(
            session,
            channel_id=channel,
            round_due=DUE,
            url=address,
            now=clock.now(),
            on=clock.now().date(),
            person_id=editor,
            start_page=True,
        )
    await story.bot.stop()
    emulator.reset()
    return story


async def test_remind_takes_the_captures_and_shows_them_in_the_chat(
    start_bot, emulator, clock, smtp, tmp_path, chromium
):
    async with CaptureSite() as site:
        story = await _stopped_server_left_a_capture(
            start_bot, emulator, clock, smtp, tmp_path, site.url("/")
        )
        settings = replace(
            story.bot.settings, capture_disabled=False, capture_allow_loopback_for_tests=True
        )
        out = io.StringIO()
        assert await run_reminders(settings, at=clock.now(), dry_run=False, out=out) == 0
        # The editor's capture and the one the sweep queued as the round opened.
        assert "2 capture(s) taken" in out.getvalue()
        assert site.paths.count("/") == 2
        shown = [c for _, c in cards_to(story, EDITOR_A) if "Så här såg startsidan" in str(c)]
        assert len(shown) == 1
        engine_rows = await _captures(settings.database_url)
        assert {row.status for row in engine_rows} == {"done"}


async def test_remind_is_bounded_by_the_page_time_limit_and_tells_the_editor(
    start_bot, emulator, clock, smtp, tmp_path, chromium
):
    async with CaptureSite() as site:
        story = await _stopped_server_left_a_capture(
            start_bot, emulator, clock, smtp, tmp_path, site.url("/hang")
        )
        settings = replace(
            story.bot.settings,
            capture_disabled=False,
            capture_allow_loopback_for_tests=True,
            capture_timeout_seconds=2,
        )
        out = io.StringIO()
        assert await run_reminders(settings, at=clock.now(), dry_run=False, out=out) == 0
        assert "2 capture(s) taken" in out.getvalue()
        told = [t for t in emulator.texts(EDITOR_A.conversation_id) if "Jag kunde inte" in t]
        assert len(told) == 1 and "blev inte klar i tid" in told[0]
        assert {row.status for row in await _captures(settings.database_url)} == {"failed"}


async def test_remind_without_a_browser_leaves_the_captures_queued(
    start_bot, emulator, clock, smtp, tmp_path
):
    story = await _stopped_server_left_a_capture(
        start_bot, emulator, clock, smtp, tmp_path, "https://www.instagram.com/ugglan"
    )
    settings = replace(story.bot.settings, capture_disabled=True)
    out = io.StringIO()
    assert await run_reminders(settings, at=clock.now(), dry_run=False, out=out) == 0
    assert "0 capture(s) taken" in out.getvalue()
    assert {row.status for row in await _captures(settings.database_url)} == {"pending"}


async def _captures(database_url: str) -> list[CaptureRow]:
    from storage.db import create_engine, session_factory

    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            return list((await session.scalars(select(CaptureRow))).all())
    finally:
        await engine.dispose()
