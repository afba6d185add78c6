"""Before deleting (R11) and closing a channel (R13) through the real app: the culling rules,
captures kept first, the closing checklist, the records officer's and the registry's e-mails,
and no reminder for a closed channel."""

from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.documents.eark.check import check_package
from domain.clock import FixedClock
from storage.models import (
    AuditEventRow,
    ChannelClosingRow,
    ChannelRow,
    ConsentCheckRow,
    ConsentRow,
    DeletionDecisionRow,
    EvidenceFileRow,
    RemovalTaskRow,
)
from tests.bot.active_story import (
    DUE,
    EDITOR_A,
    EDITOR_B,
    OUTSIDER,
    RECORDS,
    active_story,
    at,
    card_of,
    cards_to,
    channel_id,
    execute,
    png,
    refused,
    send_file,
    settled,
    sweep,
)
from tests.bot.channel_story import Story
from tests.conftest import BotFactory
from tests.support.cli import run_kanalkollen
from tests.support.connector_emulator import ConnectorEmulator
from tests.support.eark import validator_errors
from tests.support.factories import make_execute
from tests.support.file_server import FileServer
from tests.support.smtp_sink import SmtpSink

REGISTRY = "registret@example.org"  # the shipped default (reaches nobody)


@pytest.fixture
def bot_database_url(database_url: str) -> str:
    """These stories run on SQLite and on PostgreSQL."""
    return database_url


@pytest.fixture
async def story(
    start_bot: BotFactory, emulator: ConnectorEmulator, clock: FixedClock, smtp: SmtpSink, tmp_path
) -> Story:  # type: ignore[no-untyped-def]
    return await active_story(start_bot, emulator, clock, smtp, tmp_path)


async def click_for_message(story: Story, user: Any, verb: str, data: dict[str, Any]) -> str:
    """Clicks a button that answers with a sentence (e.g. one that starts taking files)."""
    status, body = await story.bot.post(
        make_execute(verb, data, user=user, service_url=story.emulator.service_url)
    )
    assert status == 200
    return str(body["value"])


def deletion(channel: int, kind: str, covered: str, passing: str = "") -> dict[str, Any]:
    return {
        "channel_id": str(channel),
        "kind": kind,
        "description": "https://www.instagram.com/p/Sommarlov/",
        "covered": covered,
        "passing": passing,
    }


async def test_r11_deleting_a_post_not_covered_by_documentation_needs_a_capture_first(
    story: Story, files: FileServer, smtp: SmtpSink, clock: FixedClock, tmp_path: Path
):
    await story.say(EDITOR_A, "radera")
    _, form = story.last_card_to(EDITOR_A.conversation_id)
    assert "dokumenthanteringsplanen" in str(form).casefold()
    channel = await channel_id(story)

    outcome = card_of(
        await execute(story, EDITOR_A, "deletion.check", deletion(channel, "post", "no"))
    )
    assert "Spara först en skärmdump" in str(outcome)
    ids = outcome["actions"][0]["data"]
    early = card_of(await execute(story, EDITOR_A, "deletion.done", ids))
    assert "Spara först en skärmdump. Sedan kan du radera." in str(early)

    assert "väntar på skärmdumpen" in await click_for_message(
        story, EDITOR_A, "deletion.capture", ids
    )
    await send_file(story, EDITOR_A, files, "sommarlov.png", png(7), "png")
    assert "Skärmdumpen är sparad" in story.emulator.texts(EDITOR_A.conversation_id)[-1]
    done = card_of(await execute(story, EDITOR_A, "deletion.done", ids))
    assert "Raderat" in str(done) and "sommarlov.png" in str(done)

    async with story.bot.sessions() as session:
        [decision] = (await session.scalars(select(DeletionDecisionRow))).all()
        [capture] = (await session.scalars(select(EvidenceFileRow))).all()
        actions = (await session.scalars(select(AuditEventRow.action))).all()
    assert (decision.kind, decision.covered, decision.outcome, decision.status) == (
        "post",
        False,
        "capture_first",
        "done",
    )
    assert capture.subject_type == "deletion" and len(capture.sha256) == 64
    assert {"deletion.decided", "deletion.captured", "deletion.done"} <= set(actions)

    # R11, issue 27: the capture reaches the records mailbox as an E-ARK SIP that passes the
    # E-ARK validator and our own checks.
    await settled(story, clock.now())
    [package_mail] = [m for m in smtp.received if RECORDS in m.rcpt_tos]
    assert "Fångst före radering" in package_mail.subject
    [(name, data)] = package_mail.attachments.items()
    assert name.endswith(".zip")
    assert validator_errors(data, tmp_path / "sip") == []
    assert check_package(data) == []
    archive = zipfile.ZipFile(io.BytesIO(data))
    [objid] = {entry.split("/")[0] for entry in archive.namelist()}
    rep_mets = archive.read(f"{objid}/representations/rep1/METS.xml").decode()
    assert capture.sha256 in rep_mets and "data/sommarlov.png" in rep_mets


async def test_r11_covered_posts_and_passing_comments_may_be_deleted_and_a_channel_is_closed(
    story: Story,
):
    channel = await channel_id(story)
    covered = card_of(
        await execute(story, EDITOR_A, "deletion.check", deletion(channel, "post", "yes"))
    )
    assert "Du kan radera det" in str(covered) and "actions" not in covered
    comment = card_of(
        await execute(story, EDITOR_A, "deletion.check", deletion(channel, "comment", "no", "yes"))
    )
    assert "Du kan radera det" in str(comment)
    whole = card_of(
        await execute(story, EDITOR_A, "deletion.check", deletion(channel, "channel", ""))
    )
    assert whole["actions"][0]["data"]["verb"] == "closing.start"
    invalid = card_of(
        await execute(story, EDITOR_A, "deletion.check", {"channel_id": str(channel)})
    )
    assert "Välj ett svar" in str(invalid)
    await story.say(OUTSIDER, "radera")
    assert "inte redaktör eller chef" in story.emulator.texts(OUTSIDER.conversation_id)[-1]


async def test_r13_a_channel_is_not_closed_while_a_removal_task_is_open(
    story: Story, clock: FixedClock
):
    channel = await channel_id(story)
    async with story.bot.sessions.begin() as session:
        consent = ConsentRow(
            channel_id=channel,
            subject="Elev",
            scope="one_post",
            form="oral",
            status="withdrawn",
            recorded_at=clock.now(),
            details={},
        )
        check = ConsentCheckRow(
            channel_id=channel,
            answers={},
            outcome="publish",
            missing={},
            checked_at=clock.now(),
            post_reminders=0,
            details={},
        )
        session.add_all([consent, check])
        await session.flush()
        session.add(
            RemovalTaskRow(
                consent_id=consent.id,
                check_id=check.id,
                channel_id=channel,
                status="open",
                created_at=clock.now(),
                details={},
            )
        )
    refused = card_of(
        await execute(story, EDITOR_A, "closing.start", {"channel_id": str(channel)})
    )
    assert "kan inte avslutas än: 1 inlägg" in str(refused)
    async with story.bot.sessions() as session:
        row = await session.get(ChannelRow, channel)
    assert row is not None and row.status == "active"


async def test_r13_closing_walks_the_checklist_and_the_registry_is_told(
    story: Story, files: FileServer, smtp: SmtpSink, clock: FixedClock, tmp_path: Path
):
    channel = await channel_id(story)
    await story.say(EDITOR_A, "avsluta kanal")
    _, pick = story.last_card_to(EDITOR_A.conversation_id)
    assert "Ugglan" in str(pick)
    checklist = card_of(
        await execute(story, EDITOR_A, "closing.start", {"channel_id": str(channel)})
    )
    ids = {"closing_id": checklist["actions"][0]["data"]["closing_id"]}
    assert "Exportera allt innehåll" in str(checklist)

    # Sending before the export and the screenshots is refused.
    early = card_of(await execute(story, EDITOR_A, "closing.submit", ids))
    assert "Både exporten och minst en skärmdump" in str(early)

    # The platform's export (a ZIP) and two final screenshots come in the chat.
    assert "väntar på filerna" in await click_for_message(story, EDITOR_A, "closing.export", ids)
    export = io.BytesIO()
    with zipfile.ZipFile(export, "w") as archive:
        archive.writestr("content/posts_1.json", '[{"title": "Sommarlov"}]')
    await send_file(story, EDITOR_A, files, "instagram-export-2026.zip", export.getvalue(), "zip")
    assert "väntar på filerna" in await click_for_message(
        story, EDITOR_A, "closing.screenshots", ids
    )
    await send_file(story, EDITOR_A, files, "start.png", png(4), "png")
    await send_file(story, EDITOR_A, files, "profil.png", png(6), "png")
    await story.say(EDITOR_A, "klar")
    checklist_id, updated = story.last_card_to(EDITOR_A.conversation_id)
    assert "instagram-export-2026.zip" in str(updated) and "profil.png" in str(updated)

    submitted = card_of(
        await execute(story, EDITOR_A, "closing.submit", ids, reply_to_id=checklist_id)
    )
    assert "Skickat till registratorn" in str(submitted)
    await settled(story, clock.now())
    [package_mail] = [m for m in smtp.received if RECORDS in m.rcpt_tos]
    [(name, data)] = package_mail.attachments.items()
    package = data
    # Issue 27: an E-ARK SIP that passes the E-ARK validator and our own checks.
    assert name.endswith(".zip")
    assert validator_errors(data, tmp_path / "sip") == []
    assert check_package(data) == []
    archive = zipfile.ZipFile(io.BytesIO(data))
    [objid] = {entry.split("/")[0] for entry in archive.namelist()}
    mets = archive.read(f"{objid}/METS.xml").decode()
    assert 'TYPE="Mixed"' in mets and 'OAISPACKAGETYPE="SIP"' in mets
    data_files = [n for n in archive.namelist() if "/representations/rep1/data/" in n]
    assert len(data_files) == 3
    assert f"{objid}/representations/rep1/data/instagram-export-2026.zip" in data_files

    # Only the manager confirms; an editor's click changes nothing.
    confirm_id, confirm = next(
        (i, c) for i, c in reversed(cards_to(story, story.manager)) if "Bekräfta" in str(c)
    )
    data = next(a["data"] for a in confirm["actions"] if a["verb"] == "closing.confirm")
    assert refused(await execute(story, EDITOR_B, "closing.confirm", data))
    done = card_of(
        await execute(story, story.manager, "closing.confirm", data, reply_to_id=confirm_id)
    )
    assert "Kanalen är avslutad" in str(done)
    await settled(story, clock.now())

    # The requester's checklist in her chat is updated too, without its buttons; a stale
    # "Avbryt avslutet" says the channel is already closed (not "not allowed").
    shown = story.emulator.current(EDITOR_A.conversation_id, checklist_id)
    assert shown is not None
    [attachment] = shown["attachments"]
    assert "Kanalen är avslutad" in str(attachment["content"])
    assert "closing.confirm" not in str(attachment["content"])  # her copy, not the manager's
    assert attachment["content"].get("actions", []) == []
    stale = card_of(await execute(story, EDITOR_A, "closing.cancel", ids))
    assert "Kanalen är redan avslutad" in str(stale)
    english = card_of(await execute(story, EDITOR_A, "closing.cancel", ids, locale="en-US"))
    assert "already closed" in str(english)

    [notice] = [m for m in smtp.received if REGISTRY in m.rcpt_tos]
    assert "Avslutad kanal" in notice.subject and "instagram.com/ugglan" in notice.body_text
    async with story.bot.sessions() as session:
        row = await session.get(ChannelRow, channel)
        closing = (await session.scalars(select(ChannelClosingRow))).one()
        actions = (await session.scalars(select(AuditEventRow.action))).all()
    assert row is not None and row.status == "closed" and row.closed_at is not None
    assert closing.status == "confirmed" and closing.package_sha256
    for action in (
        "channel.closing_started",
        "closing.export_saved",
        "closing.screenshot_saved",
        "closing.submitted",
        "channel.closed",
    ):
        assert action in actions

    # Issue 27: `kanalkollen records export` builds the channel's packages again for an
    # archivist: the same SIP as was mailed, or today's zip; `records check` finds a change.
    env = {"DATABASE_URL": story.bot.settings.database_url, "FILES_DIR": str(tmp_path / "files")}
    out = tmp_path / "export"
    code, listing, err = await run_kanalkollen(
        "records", "export", "--channel", str(channel), "--out", str(out), env=env, cwd=tmp_path
    )
    assert code == 0, err
    [rebuilt] = sorted(out.iterdir())
    assert rebuilt.name.startswith("closing-") and rebuilt.read_bytes() == package
    # Issue 28: written in chunks, with no partial file left beside it, and listed whole.
    assert f"{hashlib.sha256(package).hexdigest()}\t{len(package)}" in listing
    code, _, err = await run_kanalkollen(
        "records",
        "export",
        "--channel",
        str(channel),
        "--format",
        "zip",
        "--out",
        str(tmp_path / "zip"),
        env=env,
        cwd=tmp_path,
    )
    assert code == 0, err
    [plain] = (tmp_path / "zip").iterdir()
    assert "index.json" in zipfile.ZipFile(plain).namelist()
    code, report, _ = await run_kanalkollen(
        "records", "check", str(rebuilt), env=env, cwd=tmp_path
    )
    assert code == 0 and ": ok" in report
    changed = entries_changed(package)
    (tmp_path / "changed.zip").write_bytes(changed)
    code, report, _ = await run_kanalkollen(
        "records", "check", str(tmp_path / "changed.zip"), env=env, cwd=tmp_path
    )
    assert code == 1 and "SHA-256" in report

    # No documentation reminder for the channel afterwards, and it leaves "my channels".
    for moment in (at(DUE - timedelta(days=14)), at(DUE), at(DUE + timedelta(days=21))):
        assert (await sweep(story, clock, moment))["documentation_reminders"] == 0
    await story.say(EDITOR_A, "mina kanaler")
    _, mine = story.last_card_to(EDITOR_A.conversation_id)
    assert mine["body"][-1]["text"] == "Avslutade kanaler: Ugglan"
    assert sum("Ugglan" in str(element) for element in mine["body"]) == 1


async def test_r13_closing_can_be_cancelled_and_the_channel_stays_active(story: Story):
    channel = await channel_id(story)
    checklist = card_of(
        await execute(story, EDITOR_A, "closing.start", {"channel_id": str(channel)})
    )
    ids = {"closing_id": checklist["actions"][0]["data"]["closing_id"]}
    again = card_of(await execute(story, EDITOR_B, "closing.start", {"channel_id": str(channel)}))
    assert again["actions"][0]["data"]["closing_id"] == ids["closing_id"]  # one checklist
    # The export may also be filed elsewhere: where it is, instead of the file.
    assert "väntar på filerna" in await click_for_message(story, EDITOR_B, "closing.export", ids)
    await story.say(EDITOR_B, "G:/Fritid/Ugglan/instagram-export-2026")
    _, updated = story.last_card_to(EDITOR_B.conversation_id)
    assert "G:/Fritid/Ugglan/instagram-export-2026" in str(updated)
    cancelled = card_of(await execute(story, EDITOR_B, "closing.cancel", ids))
    assert "Avslutet är avbrutet" in str(cancelled)
    async with story.bot.sessions() as session:
        row = await session.get(ChannelRow, channel)
    assert row is not None and row.status == "active"
    assert refused(await execute(story, OUTSIDER, "closing.start", {"channel_id": str(channel)}))


def entries_changed(package: bytes) -> bytes:
    """The package with one byte of one data file changed."""
    source = zipfile.ZipFile(io.BytesIO(package))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if "/data/" in info.filename and data:
                data = data[:-1] + bytes([data[-1] ^ 1])
            target.writestr(info.filename, data)
    return buffer.getvalue()
