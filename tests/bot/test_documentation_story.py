"""Half-yearly documentation through the real app (R12): reminders by themselves, screenshots
kept as records, the other editors' cards show "done", and the manager hears when nobody does it.
"""

from __future__ import annotations

import asyncio
import io
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import ENDPOINT, SCHEDULER
from bot.cli.channel_import import import_channels
from bot.documents.eark.check import check_package
from dialogs.services import DirectoryPerson
from domain.channel_import import parse_channels
from domain.clock import FixedClock
from domain.dates import ORGANISATION_ZONE, add_months
from domain.policy import DocumentationPolicy, Policy
from storage.models import (
    ChannelRow,
    DocumentationFileRow,
    DocumentationRoundRow,
    OutboxRow,
)
from tests.bot.active_story import at, png
from tests.bot.active_story import cards_to as _reminders
from tests.bot.active_story import settled as _settled
from tests.bot.active_story import sweep as _sweep
from tests.bot.channel_story import Story
from tests.bot.ugglan_story import DUE, RECORDS, START_DATE, ugglan_story
from tests.conftest import BotFactory
from tests.support.cli import run_kanalkollen
from tests.support.connector_emulator import ConnectorEmulator
from tests.support.directory import SWEDISH_HEADER, StubDirectory
from tests.support.eark import validator_errors
from tests.support.factories import TENANT_ID, TeamsUser, make_execute, make_message, make_user
from tests.support.file_server import FileServer
from tests.support.smtp_sink import SmtpSink


@pytest.fixture
def bot_database_url(database_url: str) -> str:
    """These stories run on SQLite and on PostgreSQL."""
    return database_url


@pytest.fixture
async def story(
    start_bot: BotFactory, emulator: ConnectorEmulator, clock: FixedClock, smtp: SmtpSink, tmp_path
) -> Story:  # type: ignore[no-untyped-def]
    return await ugglan_story(
        start_bot, emulator, clock, smtp, tmp_path, download_timeout_seconds=2
    )


async def test_r12_remind_document_and_done_for_every_editor(
    story: Story, clock: FixedClock, files: FileServer, smtp: SmtpSink, tmp_path: Path
):
    editor_a, editor_b = make_user(2), make_user(4)

    # 14 days before the due date: one reminder to each editor, none to the manager.
    queued = await _sweep(story, clock, at(DUE - timedelta(days=14)))
    assert queued["documentation_reminders"] == 2
    [(reminder_a, card_a)] = _reminders(story, editor_a)
    [(reminder_b, _)] = _reminders(story, editor_b)
    assert "Dags att dokumentera Ugglan" in str(card_a)
    # The same day again queues nothing (one reminder per channel, editor and step).
    assert (await _sweep(story, clock, at(DUE - timedelta(days=14), 15)))[
        "documentation_reminders"
    ] == 0

    # Editor A presses "Dokumentera nu" and sends two screenshots and a GIF.
    data = card_a["actions"][0]["data"]
    status, body = await story.bot.post(
        make_execute(
            "documentation.start",
            data,
            user=editor_a,
            service_url=story.emulator.service_url,
            reply_to_id=reminder_a,
        )
    )
    assert status == 200 and "väntar" in body["value"]
    start = files.serve("start.png", png(), content_type="image/png")
    page = files.serve("sida.png", png(8), content_type="image/png")
    gif = files.serve("anim.gif", b"GIF89a" + b"\x00" * 20, content_type="image/gif")
    upload = make_message("", user=editor_a, service_url=story.emulator.service_url)
    upload["attachments"] = [
        {
            "contentType": "application/vnd.microsoft.teams.file.download.info",
            "name": name,
            "content": {"downloadUrl": url, "uniqueId": name, "fileType": kind},
        }
        for name, url, kind in (
            ("startsida.png", start, "png"),
            ("sida.png", page, "png"),
            ("anim.gif", gif, "gif"),
        )
    ]
    await story.bot.post(upload)
    texts = story.emulator.texts(editor_a.conversation_id)
    assert any("anim.gif" in t and "PNG, JPEG och PDF" in t for t in texts)  # refused
    assert any("tagit emot 2 fil" in t for t in texts)

    await story.say(editor_a, "klar")
    assert "startsidan" in story.emulator.texts(editor_a.conversation_id)[-1]
    await story.say(editor_a, "1")
    await story.say(editor_a, "Inga kommentarer från besökare den här perioden.")
    done = story.emulator.texts(editor_a.conversation_id)[-1]
    assert "Ugglan är dokumenterad" in done

    async with story.bot.sessions() as session:
        channel = (await session.scalars(select(ChannelRow))).one()
        round_ = (await session.scalars(select(DocumentationRoundRow))).one()
        stored = (await session.scalars(select(DocumentationFileRow))).all()
    assert channel.next_documentation_due == add_months(DUE - timedelta(days=14), 6)
    assert [f.filename for f in stored] == ["startsida.png", "sida.png"]
    assert [f.start_page for f in stored] == [True, False]
    assert all(len(f.sha256) == 64 for f in stored)
    assert round_.due_date == DUE and round_.package_sha256

    # The other editor's reminder card now says who documented it and when.
    await _settled(story, clock.now())
    current = story.emulator.current(editor_b.conversation_id, reminder_b)
    assert current is not None and "Dokumenterad av Testperson Två" in str(current)

    # The records officer gets the package: an E-ARK SIP (issue 27) of the files, which passes
    # the E-ARK validator and our own checks, with the checksums in its METS.
    await _settled(story, clock.now())
    [mail] = smtp.received
    assert mail.rcpt_tos == (RECORDS,)
    [(name, data)] = mail.attachments.items()
    assert name.endswith(".zip")
    assert validator_errors(data, tmp_path / "sip") == []
    assert check_package(data) == []
    package = zipfile.ZipFile(io.BytesIO(data))
    [objid] = {entry.split("/")[0] for entry in package.namelist()}
    assert f"{objid}/representations/rep1/data/startsida.png" in package.namelist()
    assert stored[0].sha256 in package.read(f"{objid}/representations/rep1/METS.xml").decode()
    assert "Inga kommentarer" in package.read(f"{objid}/documentation/note.txt").decode()

    # Issue 27: `kanalkollen records export --round 1` builds the same SIP again.
    env = {"DATABASE_URL": story.bot.settings.database_url, "FILES_DIR": str(tmp_path / "files")}
    export = ("records", "export", "--channel", str(channel.id), "--out", str(tmp_path / "out"))
    code, _, err = await run_kanalkollen(*export, "--round", "1", env=env, cwd=tmp_path)
    assert code == 0, err
    [rebuilt] = (tmp_path / "out").iterdir()
    assert rebuilt.name == f"documentation-1-{DUE.isoformat()}.zip"
    assert rebuilt.read_bytes() == data
    code, out, _ = await run_kanalkollen(*export, "--round", "2", env=env, cwd=tmp_path)
    assert code == 2 and "1 documentation round(s), not 2" in out

    # Later sweeps send nothing more for this round.
    assert (await _sweep(story, clock, at(DUE)))["documentation_reminders"] == 0
    assert (await _sweep(story, clock, at(DUE + timedelta(days=21))))[
        "documentation_reminders"
    ] == 0


async def test_r12_nobody_documents_then_the_manager_is_told_once(story: Story, clock: FixedClock):
    editor_a = make_user(2)
    for days in (-14, 0, 7):
        await _sweep(story, clock, at(DUE + timedelta(days=days)))
    assert len(_reminders(story, editor_a)) == 3
    assert _reminders(story, story.manager) == []

    await _sweep(story, clock, at(DUE + timedelta(days=14)))
    await _sweep(story, clock, at(DUE + timedelta(days=15)))

    [(_, escalation)] = _reminders(story, story.manager)
    assert "Ingen har dokumenterat Ugglan" in str(escalation)
    assert "14 dagar försenad" in str(escalation)
    assert "Testperson Två" in str(escalation)


async def test_r12_a_reminder_due_at_night_waits_for_the_morning(story: Story, clock: FixedClock):
    await _sweep(story, clock, at(DUE - timedelta(days=14), 22))  # Tuesday 22:00

    assert _reminders(story, make_user(2)) == []  # queued for Wednesday 08:00, not sent yet
    async with story.bot.sessions() as session:
        due = (await session.scalars(select(OutboxRow.due_at))).all()
    assert len(due) == 2
    assert {m.astimezone(ORGANISATION_ZONE) for m in due} == {at(DUE - timedelta(days=13), 8)}
    await _sweep(story, clock, at(DUE - timedelta(days=13), 8))
    assert len(_reminders(story, make_user(2))) == 1


async def test_r12_two_instances_sweeping_at_once_queue_each_reminder_once(
    story: Story, clock: FixedClock, start_bot: BotFactory
):
    # A second app instance on the same database (PostgreSQL in CI, SQLite here too).
    second = await start_bot(
        story.bot.settings, policy=Policy(documentation=DocumentationPolicy()), schedule=False
    )
    clock.set(at(DUE - timedelta(days=14)))

    await asyncio.gather(story.bot.app[SCHEDULER].run_once(), second.app[SCHEDULER].run_once())

    # Both instances' background schedulers may sweep too; the database keeps one per editor.
    async with story.bot.sessions() as session:
        keys = (
            await session.scalars(
                select(OutboxRow.dedupe_key).where(OutboxRow.dedupe_key.startswith("doc-reminder"))
            )
        ).all()
    assert len(keys) == 2
    await _settled(story, clock.now())
    assert len(_reminders(story, make_user(2))) == 1
    assert len(_reminders(story, make_user(4))) == 1


async def test_r12_kanalkollen_remind_at_queues_and_delivers_without_a_server(
    story: Story, tmp_path
):  # type: ignore[no-untyped-def]

    await story.bot.stop()  # cron: no server is running
    env = {
        "DATABASE_URL": story.bot.settings.database_url,
        "FILES_DIR": str(tmp_path / "files"),
    }
    moment = at(DUE - timedelta(days=14)).isoformat()

    async def remind(*extra: str) -> str:
        code, out, err = await run_kanalkollen(
            "remind", "--at", moment, *extra, env=env, cwd=tmp_path
        )
        assert code == 0, err
        return out

    dry = await remind("--dry-run")
    assert "'documentation_reminders': 2" in dry and dry.count("would send outbox") == 2
    assert _reminders(story, make_user(2)) == []

    await remind()
    assert len(_reminders(story, make_user(2))) == 1
    assert len(_reminders(story, make_user(4))) == 1
    await remind()  # the same moment again: nothing new
    assert len(_reminders(story, make_user(2))) == 1


async def test_r12_a_sweep_stops_at_the_policy_cap_and_the_next_sweep_goes_on(
    start_bot: BotFactory, emulator: ConnectorEmulator, clock: FixedClock
):
    # An import of many overdue channels must not flood Teams: the policy caps each sweep.
    policy = Policy(documentation=DocumentationPolicy(max_reminders_per_sweep=3))
    clock.set(at(DUE - timedelta(days=14)))
    story = Story(await start_bot(policy=policy, schedule=False), emulator)
    lines = [SWEDISH_HEADER] + [
        f"Instagram;Kanal {i};https://www.instagram.com/kanal{i};Enhet;chef@stad.example;"
        f"red{i}@stad.example;{START_DATE.isoformat()};"
        for i in range(5)
    ]
    rows, errors = parse_channels("\n".join(lines), today=clock.now().date())
    assert errors == []
    known = [
        DirectoryPerson(f"aad-red-{i}", f"Redaktör {i}", f"red{i}@stad.example") for i in range(5)
    ]
    await import_channels(
        story.bot.sessions,
        policy,
        StubDirectory(*known),
        TENANT_ID,
        rows,
        clock.now(),
        dry_run=False,
    )
    scheduler = story.bot.app[SCHEDULER]

    counts = [(await scheduler.run_once())["documentation_reminders"] for _ in range(3)]

    assert counts == [3, 2, 0]


async def _documenting(story: Story, clock: FixedClock) -> TeamsUser:
    """Editor A gets the reminder and presses *Dokumentera nu*; the dialog waits for files."""
    editor_a = make_user(2)
    await _sweep(story, clock, at(DUE - timedelta(days=14)))
    [(reminder_a, card_a)] = _reminders(story, editor_a)
    status, _ = await story.bot.post(
        make_execute(
            "documentation.start",
            card_a["actions"][0]["data"],
            user=editor_a,
            service_url=story.emulator.service_url,
            reply_to_id=reminder_a,
        )
    )
    assert status == 200
    return editor_a


def _files_message(story: Story, user: TeamsUser, **urls: str) -> dict[str, Any]:
    """One Teams message carrying files (name without .png -> download URL), as Teams sends."""
    message = make_message("", user=user, service_url=story.emulator.service_url)
    message["attachments"] = [
        {
            "contentType": "application/vnd.microsoft.teams.file.download.info",
            "name": f"{name}.png",
            "content": {"downloadUrl": url, "uniqueId": name, "fileType": "png"},
        }
        for name, url in urls.items()
    ]
    return message


async def test_twenty_screenshots_dropped_at_once_are_all_kept_and_counted(
    story: Story, clock: FixedClock, files: FileServer, smtp: SmtpSink
):
    """Teams posts one activity per file, all at once: every acknowledged file is kept."""
    editor_a = await _documenting(story, clock)
    uploads = [
        _files_message(
            story,
            editor_a,
            **{f"bild{i}": files.serve(f"bild{i}.png", png(4 + i), content_type="image/png")},
        )
        for i in range(20)
    ]

    answers = await asyncio.gather(*(story.bot.post(upload) for upload in uploads))

    assert [status for status, _ in answers] == [200] * 20
    counts = sorted(
        int(text.split("tagit emot ")[1].split(" ")[0])
        for text in story.emulator.texts(editor_a.conversation_id)
        if "tagit emot" in text
    )
    assert counts == list(range(1, 21))  # each answer true when it was given
    await story.say(editor_a, "klar")
    await story.say(editor_a, "1")
    await story.say(editor_a, "Inget att tillägga.")
    async with story.bot.sessions() as session:
        stored = (await session.scalars(select(DocumentationFileRow))).all()
    assert sorted(f.filename for f in stored) == sorted(f"bild{i}.png" for i in range(20))
    await _settled(story, clock.now())
    assert [mail.rcpt_tos for mail in smtp.received] == [(RECORDS,)]


async def test_files_are_acknowledged_at_once_and_a_server_that_never_answers_is_told(
    story: Story, clock: FixedClock, files: FileServer, smtp: SmtpSink
):
    """Teams gives up on an answer after 15 s: a message with files is answered 200 before its
    downloads, each file has its own timeout, and the chat says what arrived and what did not."""
    editor_a = await _documenting(story, clock)
    upload = _files_message(
        story,
        editor_a,
        startsida=files.serve("startsida.png", png(5), content_type="image/png"),
        aldrig=files.serve("aldrig.png", png(6), delay=120),
    )
    before = len(story.emulator.texts(editor_a.conversation_id))

    status, _ = await story.bot.post(upload, settle=False)

    assert status == 200
    # Answered while the download that never ends is still waiting (its timeout is 2 s).
    assert len(story.emulator.texts(editor_a.conversation_id)) == before
    # "klar" sent right after the files waits for their turn, and so sees the file that came.
    await story.say(editor_a, "klar")
    texts = story.emulator.texts(editor_a.conversation_id)[before:]
    assert texts[:2] == [
        "Jag kunde inte ta emot aldrig.png: filen kom inte fram i tid. Skicka den igen.",
        "Jag har tagit emot 1 fil(er) hittills. Skicka fler, eller skriv **klar**.",
    ]
    assert texts[2].startswith("Vill du lägga till en kommentar")  # one file: the start page
    await story.say(editor_a, "Inget att tillägga.")
    async with story.bot.sessions() as session:
        stored = (await session.scalars(select(DocumentationFileRow))).all()
    assert [f.filename for f in stored] == ["startsida.png"]
    await _settled(story, clock.now())
    assert [mail.rcpt_tos for mail in smtp.received] == [(RECORDS,)]
    async with story.bot.sessions() as session:
        [receipt] = await _receipts(session)
    assert receipt.status == "cancelled"  # the turn ended: no "send them again" later


async def _receipts(session):  # type: ignore[no-untyped-def]
    rows = (await session.scalars(select(OutboxRow).order_by(OutboxRow.id))).all()
    return [r for r in rows if "innan jag startade om" in str(r.payload)]


async def test_files_cut_off_by_a_shutdown_are_asked_for_again(
    story: Story, clock: FixedClock, files: FileServer
):
    """Teams does not post a message again once it got 200: before that answer a receipt is
    queued, and if the turn never ends (kill -9, a deploy) the chat is asked for the files."""
    editor_a = await _documenting(story, clock)
    upload = _files_message(story, editor_a, aldrig=files.serve("aldrig.png", png(6), delay=120))

    status, _ = await story.bot.post(upload, settle=False)

    assert status == 200
    async with story.bot.sessions() as session:
        [receipt] = await _receipts(session)
    # Durable before the answer, and not due while the turn may still finish.
    assert receipt.status == "pending" and receipt.due_at > clock.now() + timedelta(minutes=5)
    assert "downloadUrl" not in str(receipt.payload) and files.base_url not in str(receipt.payload)

    await story.bot.app[ENDPOINT].close(timeout=0.1)  # the turn is cut off
    await story.bot.deliver()

    assert story.emulator.texts(editor_a.conversation_id)[-1] == (
        "Jag hann inte ta emot aldrig.png innan jag startade om. "
        "Skicka dem igen, så tar jag emot dem."
    )


async def test_r12_the_command_dokumentera_begins_the_round_of_the_editors_channel(
    story: Story, clock: FixedClock, files: FileServer, smtp: SmtpSink
):
    """Typed instead of pressed: `dokumentera` starts the editor's round; someone who edits no
    channel is told so."""
    editor_a, manager = make_user(2), story.manager
    clock.set(at(DUE - timedelta(days=3)))

    await story.say(manager, "dokumentera")
    assert story.emulator.texts(manager.conversation_id)[-1] == (
        "Du är inte redaktör för någon aktiv kanal som ska dokumenteras."
    )

    await story.say(editor_a, "Dokumentera")
    assert story.emulator.texts(editor_a.conversation_id)[-1].startswith(
        "Skicka skärmdumparna här i chatten"
    )
    await story.bot.post(
        _files_message(
            story, editor_a, start=files.serve("s.png", png(5), content_type="image/png")
        )
    )
    await story.say(editor_a, "klar")
    await story.say(editor_a, "nej")
    async with story.bot.sessions() as session:
        [kept] = (await session.scalars(select(DocumentationFileRow))).all()
        [channel] = (await session.scalars(select(ChannelRow))).all()
    assert kept.filename == "start.png"
    assert channel.next_documentation_due == add_months(clock.now().date(), 6)  # next half year
    await _settled(story, clock.now())  # the package reaches the records officer
    assert [mail.rcpt_tos for mail in smtp.received] == [(RECORDS,)]


async def test_r12_dokumentera_from_an_editor_of_two_channels_shows_a_card_for_each(
    story: Story, clock: FixedClock
):
    editor_a, manager = make_user(2), story.manager
    text = (
        SWEDISH_HEADER + f"\nFacebook;Ugglan på Facebook;https://www.facebook.com/ugglan;Ugglan;"
        f"{manager.email};{editor_a.email}, {make_user(4).email};{START_DATE.isoformat()};\n"
    )
    rows, errors = parse_channels(text, today=clock.now().date())
    assert errors == []
    await import_channels(
        story.bot.sessions,
        Policy(documentation=DocumentationPolicy(records_mailbox=RECORDS)),
        StubDirectory(),
        TENANT_ID,
        rows,
        clock.now(),
        dry_run=False,
    )
    before = len(story.emulator.sent)

    await story.say(editor_a, "dokumentera")

    await story.emulator.wait_for_count(before + 3)
    assert "flera kanaler" in story.emulator.texts(editor_a.conversation_id)[-1]
    cards = [c for _, c in _reminders(story, editor_a)]
    assert {("Ugglan på Facebook" in str(c)) for c in cards[-2:]} == {True, False}
    assert all(c["actions"][0]["data"]["verb"] == "documentation.start" for c in cards[-2:])
