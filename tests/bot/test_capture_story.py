"""The documentation round with Kanalkollen's own capture (R12, issue 16), through the real app:
the start page captured by itself and shown in the chat, a wall told in one sentence, another
address of the channel captured, and without a browser the round exactly as before.
"""

from __future__ import annotations

import asyncio
import io
import logging
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from sqlalchemy import select

from bot.app import CAPTURE
from bot.capture.browser import find_chromium
from bot.documents.eark.check import check_package
from domain.clock import FixedClock
from storage.models import CaptureRow, DocumentationFileRow
from tests.bot.active_story import at, png
from tests.bot.active_story import cards_to as _cards
from tests.bot.active_story import settled as _settled
from tests.bot.active_story import sweep as _sweep
from tests.bot.channel_story import Story
from tests.bot.ugglan_story import DUE, RECORDS, ugglan_story
from tests.conftest import BotFactory
from tests.support.capture_site import CaptureSite
from tests.support.connector_emulator import ConnectorEmulator
from tests.support.eark import validator_errors
from tests.support.factories import make_execute, make_message, make_user
from tests.support.file_server import FileServer
from tests.support.smtp_sink import SmtpSink


@pytest.fixture
def chromium() -> Path:
    """The machine's browser, or a visible skip (the fallback test below needs none)."""
    found = find_chromium(None)
    if found is None:
        pytest.skip("no Chromium at /usr/bin/chromium: capture tests need Debian's chromium")
    return found


async def _story(
    start_bot: BotFactory,
    emulator: ConnectorEmulator,
    clock: FixedClock,
    smtp: SmtpSink,
    tmp_path: Path,
    address: str,
    **capture: Any,
) -> Story:
    """Ugglan, whose address is a page of the test site."""
    return await ugglan_story(
        start_bot,
        emulator,
        clock,
        smtp,
        tmp_path,
        address=address,
        **{"download_timeout_seconds": 2, "capture_timeout_seconds": 8, **capture},
    )


def _with_browser(site_url: str) -> dict[str, Any]:
    return {"capture_disabled": False, "capture_allow_loopback_for_tests": True}


async def _captured(story: Story) -> None:
    """Waits until no capture is queued or running, then until its message is delivered.

    The worker is woken, as a dialog that queues a capture wakes it: a capture the sweep
    queued is otherwise taken at the worker's next poll (5 s), which these stories do not test.
    """
    worker = story.bot.app[CAPTURE]
    for _ in range(300):
        if worker is not None:
            worker.wake()  # type: ignore[attr-defined]
        async with story.bot.sessions() as session:
            busy = (
                await session.scalars(
                    select(CaptureRow.id).where(CaptureRow.status.in_(["pending", "running"]))
                )
            ).all()
        if not busy:
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("a capture did not finish")
    await _settled(story, story.bot.clock.now())


async def _press_document(story: Story, user: Any) -> None:
    [(reminder, card)] = _cards(story, user)[-1:]
    status, body = await story.bot.post(
        make_execute(
            "documentation.start",
            card["actions"][0]["data"],
            user=user,
            service_url=story.emulator.service_url,
            reply_to_id=reminder,
        )
    )
    assert status == 200 and "väntar" in body["value"]


async def test_r12_the_start_page_is_captured_shown_confirmed_and_archived(
    start_bot, emulator, clock, smtp, tmp_path, chromium
):
    async with CaptureSite() as site:
        story = await _story(
            start_bot, emulator, clock, smtp, tmp_path, site.url("/"), **_with_browser("")
        )
        editor = make_user(2)
        assert story.bot.app[CAPTURE] is not None

        # The round opens: reminders, and the start page is captured by itself.
        await _sweep(story, clock, at(DUE - timedelta(days=14)))
        await _captured(story)
        assert site.paths.count("/") == 1
        await _press_document(story, editor)
        await _captured(story)

        # The capture is shown in the chat: "Så här såg startsidan ut i dag — stämmer det?"
        shown = [c for _, c in _cards(story, editor) if "Så här såg startsidan" in str(c)]
        assert len(shown) == 1
        image = next(e for e in shown[0]["body"] if e["type"] == "Image")
        assert image["url"].startswith(story.bot.settings.base_url)
        assert site.paths.count("/") == 1  # today's capture was reused, not taken again

        await story.say(editor, "klar")
        question = story.emulator.texts(editor.conversation_id)[-1]
        assert "1. Kanalkollen 127.0.0.1" in question and ".png" in question
        assert ".warc.gz" not in question  # the WARC is not a picture to choose
        await story.say(editor, "1")
        await story.say(editor, "nej")
        assert "Ugglan är dokumenterad" in story.emulator.texts(editor.conversation_id)[-1]

        async with story.bot.sessions() as session:
            stored = (await session.scalars(select(DocumentationFileRow))).all()
        assert [f.content_type for f in stored] == [
            "image/png",
            "application/pdf",
            "application/warc",
        ]
        assert [f.start_page for f in stored] == [True, False, False]

        await _settled(story, clock.now())
        [mail] = smtp.received
        [(_, data)] = mail.attachments.items()
        # Issue 27: an E-ARK SIP whose PREMIS tells each capture's address, time and status.
        assert validator_errors(data, tmp_path / "sip") == []
        assert check_package(data) == []
        package = zipfile.ZipFile(io.BytesIO(data))
        [objid] = {name.split("/")[0] for name in package.namelist()}
        premis = etree.fromstring(package.read(f"{objid}/metadata/preservation/premis.xml"))
        ns = {"premis": "http://www.loc.gov/premis/v3"}
        captures = [
            e
            for e in premis.iterfind("premis:event", ns)
            if e.findtext("premis:eventType", namespaces=ns) == "capture"
        ]
        assert len(captures) == 3
        for event in captures:
            detail = event.findtext(".//premis:eventDetail", namespaces=ns)
            assert site.url("/") in detail and "HTTP status 200" in detail
            assert event.findtext("premis:eventDateTime", namespaces=ns)
        rep_mets = package.read(f"{objid}/representations/rep1/METS.xml").decode()
        assert 'MIMETYPE="application/warc"' in rep_mets and ".warc.gz" in rep_mets
        assert stored[0].sha256 in rep_mets
        index = package.read(f"{objid}/documentation/index.txt").decode()
        assert "(start page)" in index and "Captured by Kanalkollen" in index


@pytest.mark.parametrize(
    ("path", "sentence"),
    [
        ("/cookie", "cookie-ruta som jag inte kommer förbi"),
        ("/login", "kräver inloggning, och jag loggar aldrig in"),
        ("/finns-inte", "svarade med ett fel (404)"),
        ("/to-private", "går inte till en offentlig webbplats"),
        ("/hang", "blev inte klar i tid"),
        # The walls of real platforms (tests/support/capture_walls.py).
        ("/instagram/ugglan/", "kräver inloggning, och jag loggar aldrig in"),
        ("/facebook/cookies", "cookie-ruta som jag inte kommer förbi"),
        ("/youtube/@ugglan", "cookie-ruta som jag inte kommer förbi"),
        ("/linkedin/999", "plattformen stoppar automatiska webbläsare"),
        ("/too-many", "plattformen stoppar automatiska webbläsare"),
    ],
)
async def test_r12_where_capture_cannot_work_the_editor_is_told_and_sends_screenshots(
    start_bot, emulator, clock, smtp, tmp_path, chromium, files: FileServer, path, sentence
):
    async with CaptureSite() as site:
        story = await _story(
            start_bot,
            emulator,
            clock,
            smtp,
            tmp_path,
            site.url(path),
            **_with_browser(""),
            capture_timeout_seconds=2,
        )
        editor = make_user(2)
        await _sweep(story, clock, at(DUE - timedelta(days=14)))
        await _captured(story)
        await _press_document(story, editor)
        await _captured(story)
        texts = story.emulator.texts(editor.conversation_id)
        [told] = [t for t in texts if "Jag kunde inte ta en bild" in t]
        assert sentence in told and "Skicka dina egna skärmdumpar" in told
        assert told.count(". ") <= 2  # the reason in one sentence, then what to do
        async with story.bot.sessions() as session:
            captures = (await session.scalars(select(CaptureRow))).all()
        assert captures and all(c.status == "failed" for c in captures)
        assert not any("files" in (c.result or {}) for c in captures)  # nothing behind a wall
        assert not list((tmp_path / "files").rglob("*.warc.gz"))

        # The round goes on as today: the editor's own screenshot.
        upload = make_message("", user=editor, service_url=story.emulator.service_url)
        upload["attachments"] = [
            {
                "contentType": "application/vnd.microsoft.teams.file.download.info",
                "name": "startsida.png",
                "content": {
                    "downloadUrl": files.serve("s.png", png(), content_type="image/png"),
                    "uniqueId": "s",
                    "fileType": "png",
                },
            }
        ]
        await story.bot.post(upload)
        await story.say(editor, "klar")
        await story.say(editor, "nej")
        assert "Ugglan är dokumenterad" in story.emulator.texts(editor.conversation_id)[-1]
        async with story.bot.sessions() as session:
            stored = (await session.scalars(select(DocumentationFileRow))).all()
        assert [f.filename for f in stored] == ["startsida.png"]
        await _settled(story, clock.now())  # the package reaches the records officer
        assert [mail.rcpt_tos for mail in smtp.received] == [(RECORDS,)]


async def test_r12_another_address_of_the_channel_is_captured_and_other_hosts_are_not(
    start_bot, emulator, clock, smtp, tmp_path, chromium
):
    async with CaptureSite() as site:
        story = await _story(
            start_bot, emulator, clock, smtp, tmp_path, site.url("/"), **_with_browser("")
        )
        editor = make_user(2)
        await _sweep(story, clock, at(DUE - timedelta(days=14)))
        await _press_document(story, editor)
        await _captured(story)

        await story.say(editor, site.url("/", host="localhost"))
        assert (
            "bara bilder av kanalens egen adress"
            in story.emulator.texts(editor.conversation_id)[-1]
        )
        await story.say(editor, site.url("/private-image"))
        assert "Jag tar en bild av" in story.emulator.texts(editor.conversation_id)[-1]
        await _captured(story)
        assert any(
            "Så här såg " + site.url("/private-image") in str(c) for _, c in _cards(story, editor)
        )
        await story.say(editor, "klar")
        question = story.emulator.texts(editor.conversation_id)[-1]
        assert "4." in question and "5." not in question  # two PNGs and two PDFs
        await story.say(editor, "1")
        await story.say(editor, "nej")
        async with story.bot.sessions() as session:
            stored = (await session.scalars(select(DocumentationFileRow))).all()
        assert len(stored) == 6
        assert stored[0].start_page
        await _settled(story, clock.now())
        assert [mail.rcpt_tos for mail in smtp.received] == [(RECORDS,)]


async def test_without_a_browser_the_round_is_as_before(
    start_bot, emulator, clock, smtp, tmp_path, caplog
):
    caplog.set_level(logging.INFO, logger="bot.capture.setup")
    story = await _story(
        start_bot,
        emulator,
        clock,
        smtp,
        tmp_path,
        "https://www.instagram.com/ugglan",
        capture_disabled=False,
        chromium_path=tmp_path / "no-such-chromium",
    )
    assert story.bot.app[CAPTURE] is None
    said = [r.getMessage() for r in caplog.records if "captures of public pages are off" in r.msg]
    assert len(said) == 1 and "no browser at" in said[0]

    editor = make_user(2)
    await _sweep(story, clock, at(DUE - timedelta(days=14)))
    await _press_document(story, editor)
    texts = story.emulator.texts(editor.conversation_id)
    assert not any("bild av kanalens startsida" in t for t in texts)
    await story.say(editor, "klar")
    assert "minst en skärmdump" in story.emulator.texts(editor.conversation_id)[-1]
    async with story.bot.sessions() as session:
        assert (await session.scalars(select(CaptureRow))).all() == []
