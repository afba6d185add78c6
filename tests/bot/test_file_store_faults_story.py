"""The documentation round (R12) with its files on Azure Blob Storage that fails: the person is
told to try again in their language, nothing half-stored is recorded, and the records mail
waits in the outbox until the store is back. Nothing acknowledged is lost.

A loopback proxy in front of Azurite (tests/support/blob_faults.py) answers 503 or is down."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import select

from bot.settings import Settings
from bot.web.file_links import FileLinkSigner, files_routes
from domain.clock import FixedClock
from storage.models import ChannelRow, DocumentationFileRow, DocumentationRoundRow, OutboxRow
from tests.bot.active_story import at, png
from tests.bot.active_story import cards_to as _reminders
from tests.bot.active_story import settled as _settled
from tests.bot.active_story import sweep as _sweep
from tests.bot.channel_story import Story, form_answers
from tests.bot.ugglan_story import DUE, RECORDS, ugglan_story
from tests.conftest import BotFactory
from tests.support.azurite import Azurite
from tests.support.azurite_fixtures import azure_store, new_container
from tests.support.blob_faults import BlobFaults
from tests.support.connector_emulator import ConnectorEmulator
from tests.support.factories import TeamsUser, make_execute, make_message, make_user
from tests.support.file_server import FileServer
from tests.support.smtp_sink import SmtpSink

TRY_AGAIN_SV = "Jag kunde inte spara eller hämta filerna just nu"
TRY_AGAIN_EN = "I could not save or fetch the files just now"


@pytest.fixture
async def faults(azurite: Azurite) -> AsyncIterator[BlobFaults]:
    async with BlobFaults(azurite.port) as proxy:
        yield proxy


@pytest.fixture
async def story(
    faults: BlobFaults,  # first: the proxy outlives the bots
    start_bot: BotFactory,
    emulator: ConnectorEmulator,
    clock: FixedClock,
    smtp: SmtpSink,
    tmp_path: Any,
) -> Story:
    return await ugglan_story(
        start_bot,
        emulator,
        clock,
        smtp,
        tmp_path,
        download_timeout_seconds=2,
        file_store="azure-blob",
        azure_storage_connection_string=faults.connection_string,
        azure_storage_container=new_container(),
        azure_storage_timeout_seconds=2,
        azure_storage_retries=0,
    )


async def documenting(story: Story, clock: FixedClock) -> TeamsUser:
    editor = make_user(2)
    await _sweep(story, clock, at(DUE - timedelta(days=14)))
    [(reminder, card)] = _reminders(story, editor)
    status, _ = await story.bot.post(
        make_execute(
            "documentation.start",
            card["actions"][0]["data"],
            user=editor,
            service_url=story.emulator.service_url,
            reply_to_id=reminder,
        )
    )
    assert status == 200
    return editor


def upload(story: Story, user: TeamsUser, url: str, locale: str = "sv-SE") -> dict[str, Any]:
    message = make_message("", user=user, service_url=story.emulator.service_url, locale=locale)
    message["attachments"] = [
        {
            "contentType": "application/vnd.microsoft.teams.file.download.info",
            "name": "startsida.png",
            "content": {"downloadUrl": url, "uniqueId": "start", "fileType": "png"},
        }
    ]
    return message


@pytest.mark.parametrize(
    ("locale", "try_again"), [("sv-SE", TRY_AGAIN_SV), ("en-US", TRY_AGAIN_EN)]
)
async def test_files_sent_while_the_store_fails_are_asked_for_again_and_not_recorded(
    story: Story,
    clock: FixedClock,
    files: FileServer,
    faults: BlobFaults,
    locale: str,
    try_again: str,
) -> None:
    editor = await documenting(story, clock)
    url = files.serve("startsida.png", png(), content_type="image/png")

    faults.mode = "unavailable"
    await story.bot.post(upload(story, editor, url, locale))
    assert try_again in story.emulator.texts(editor.conversation_id)[-1]

    faults.heal()
    await story.bot.post(upload(story, editor, url, locale))
    texts = story.emulator.texts(editor.conversation_id)
    assert any(("tagit emot 1 fil" in t) or ("received 1 file" in t) for t in texts), texts
    await story.say(editor, "klar")  # one file: it is the start page; the note comes next
    await story.say(editor, "Inget att tillägga.")
    async with story.bot.sessions() as session:
        stored = (await session.scalars(select(DocumentationFileRow))).all()
        rounds = (await session.scalars(select(DocumentationRoundRow))).all()
    assert [f.filename for f in stored] == ["startsida.png"]  # once: the failed one left nothing
    assert len(rounds) == 1


async def test_a_round_finished_while_the_store_fails_is_recorded_once_it_is_back(
    story: Story, clock: FixedClock, files: FileServer, faults: BlobFaults, smtp: SmtpSink
) -> None:
    editor = await documenting(story, clock)
    await story.bot.post(
        upload(story, editor, files.serve("startsida.png", png(), content_type="image/png"))
    )
    await story.say(editor, "klar")  # one file: it is the start page; the note comes next

    await faults.down()  # the package cannot be stored
    await story.say(editor, "Inget att tillägga.")
    assert TRY_AGAIN_SV in story.emulator.texts(editor.conversation_id)[-1]
    async with story.bot.sessions() as session:
        assert (await session.scalars(select(DocumentationRoundRow))).all() == []

    await faults.up()
    await story.say(editor, "Inget att tillägga.")
    assert "Ugglan är dokumenterad" in story.emulator.texts(editor.conversation_id)[-1]
    async with story.bot.sessions() as session:
        [round_] = (await session.scalars(select(DocumentationRoundRow))).all()
    assert round_.package_sha256


async def email_rows(story: Story) -> list[OutboxRow]:
    async with story.bot.sessions() as session:
        query = select(OutboxRow).where(OutboxRow.kind == "email")
        return list((await session.scalars(query)).all())


async def test_the_records_mail_waits_in_the_outbox_while_the_store_fails(
    story: Story, clock: FixedClock, files: FileServer, faults: BlobFaults, smtp: SmtpSink
) -> None:
    editor = await documenting(story, clock)
    await story.bot.post(
        upload(story, editor, files.serve("startsida.png", png(), content_type="image/png"))
    )
    await story.say(editor, "klar")  # one file: it is the start page; the note comes next
    faults.mode = "reads_unavailable"  # the package is stored; the mail's copy cannot be read
    faults.reads_under = "/packages/"
    await story.say(editor, "Inget att tillägga.")
    assert "Ugglan är dokumenterad" in story.emulator.texts(editor.conversation_id)[-1]

    tried = await email_rows(story)
    for _ in range(250):  # the delivery loop tries it by itself
        if tried and tried[0].attempts > 0 and tried[0].status == "pending":
            break
        await story.bot.deliver()
        await asyncio.sleep(0.02)
        tried = await email_rows(story)
    assert [(row.status, row.attempts) for row in tried] == [("pending", 1)]
    assert [mail for mail in smtp.received if RECORDS in mail.rcpt_tos] == []

    faults.heal()
    later = clock.now() + timedelta(hours=2)
    clock.set(later)
    await _settled(story, later)
    [mail] = [mail for mail in smtp.received if RECORDS in mail.rcpt_tos]
    [(name, _data)] = mail.attachments.items()
    assert name.endswith(".zip")


@pytest.mark.parametrize(
    ("locale", "try_again"), [("sv-SE", TRY_AGAIN_SV), ("en-US", TRY_AGAIN_EN)]
)
async def test_a_request_whose_plan_cannot_be_stored_is_not_recorded_and_can_be_sent_again(
    faults: BlobFaults,
    start_bot: BotFactory,
    emulator: ConnectorEmulator,
    tmp_path: Any,
    locale: str,
    try_again: str,
) -> None:
    """R5: the plan is stored in the request's transaction: a store that fails leaves no
    request, and the card says, in the person's language, to try again."""
    bot = await start_bot(
        Settings(
            files_dir=tmp_path / "files",
            file_store="azure-blob",
            azure_storage_connection_string=faults.connection_string,
            azure_storage_container=new_container(),
            azure_storage_timeout_seconds=2,
            azure_storage_retries=0,
        )
    )
    story = Story(bot, emulator)
    await story.say(story.requester, "ny kanal", locale=locale)
    form_id, _ = story.last_card_to(story.requester.conversation_id)
    answers = form_answers(story.editor, story.manager)

    faults.mode = "unavailable"
    body = await story.click(
        story.requester, "channel.submit", answers, reply_to_id=form_id, locale=locale
    )
    assert try_again in str(body["value"])
    async with bot.sessions() as session:
        assert (await session.scalars(select(ChannelRow))).all() == []

    faults.heal()
    await story.click(
        story.requester, "channel.submit", answers, reply_to_id=form_id, locale=locale
    )
    channel = await story.channel()
    assert channel.plan_file_key and channel.plan_sha256


async def test_a_file_link_answers_503_while_the_store_is_down(faults: BlobFaults) -> None:
    store = azure_store(faults.connection_string, new_container(), timeout_seconds=2, retries=0)
    clock = FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    signer = FileLinkSigner(b"s" * 32, clock)
    app = web.Application()
    app.add_routes(files_routes(store, signer))
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    try:
        stored = await store.put(b"%PDF-1.7", kind="plans", filename="p.pdf", content_type="a/b")
        url = signer.url_for(str(server.make_url("")), stored.key, timedelta(hours=1))
        await faults.down()
        async with aiohttp.ClientSession() as http, http.get(url) as response:
            assert response.status == 503
            assert response.headers["Retry-After"] == "30"
        await faults.up()
        async with aiohttp.ClientSession() as http, http.get(url) as response:
            assert response.status == 200 and await response.read() == b"%PDF-1.7"
    finally:
        await server.close()
        await store.close()
