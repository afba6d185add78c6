"""`kanalkollen person export|erase` through the real command (issue 5): everything stored about
a person or a consent subject as JSON, and an erasure that keeps public records and says why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from domain.clock import FixedClock
from storage.files import LocalFileStore
from storage.models import (
    AuditEventRow,
    BotStateRow,
    ChannelEditorRow,
    ConsentRow,
    ConversationReferenceRow,
    EvidenceFileRow,
    PersonRow,
)
from tests.bot.active_story import (
    EDITOR_A,
    active_story,
    card_of,
    channel_id,
    execute,
    send_file,
)
from tests.bot.channel_story import Story
from tests.conftest import BotFactory
from tests.support.cli import run_kanalkollen
from tests.support.connector_emulator import ConnectorEmulator
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
    return await active_story(start_bot, emulator, clock, smtp, tmp_path)


async def consent_with_form(
    story: Story, files: FileServer, form_name: str = "samtycke.pdf"
) -> int:
    """Editor A records a child's written consent with the signed form sent in the chat."""
    channel = await channel_id(story)
    card_of(
        await execute(
            story,
            EDITOR_A,
            "consent.check",
            {
                "rows": 1,
                "channel_id": str(channel),
                "identifiable": "yes",
                "use": "several_contexts",
                "people": "1",
                "p0_name": "Alva Exempelsson 7B",
                "p0_minor": "true",
                "p0_guardian": "Bo Exempelsson",
                "p0_form": "written",
            },
        )
    )
    await send_file(story, EDITOR_A, files, form_name, b"%PDF-1.4\n%test\n", "pdf")
    async with story.bot.sessions() as session:
        return (await session.scalars(select(ConsentRow.id))).one()


async def cli(story: Story, tmp_path: Path, *args: str) -> tuple[int, str, str]:
    env = {
        "DATABASE_URL": story.bot.settings.database_url,
        "FILES_DIR": str(story.bot.settings.files_dir),
    }
    return await run_kanalkollen("person", *args, env=env, cwd=tmp_path)


async def test_person_export_writes_everything_stored_about_an_editor(
    story: Story, files: FileServer, tmp_path: Path
):
    await consent_with_form(story, files)

    code, out, err = await cli(story, tmp_path, "export", EDITOR_A.email)

    assert code == 0, err
    [person] = json.loads(out)["people"]
    assert person["person"]["email"] == EDITOR_A.email
    assert person["person"]["aad_object_id"] == EDITOR_A.aad_object_id
    assert person["conversations"] and person["editor_roles"][0]["status"] == "accepted"
    assert [c["outcome"] for c in person["consent_checks"]] == ["publish"]
    assert person["files_uploaded"][0]["filename"] == "samtycke.pdf"
    assert any(e["action"] == "consent.recorded" for e in person["audit_events"])

    # By row id and to a file, too; an unknown id is an error.
    code, _, err = await cli(
        story, tmp_path, "export", f"person:{person['person']['id']}", "--output", "out.json"
    )
    assert code == 0, err
    assert json.loads((tmp_path / "out.json").read_text("utf-8"))["people"][0]["person"]["id"]
    code, _, err = await cli(story, tmp_path, "export", "nobody@stad.example")
    assert code == 1 and "nobody stored matches" in err


async def test_person_erase_anonymises_the_person_and_keeps_public_records(
    story: Story, files: FileServer, tmp_path: Path
):
    await consent_with_form(story, files)

    # --dry-run only says what erasure would do.
    code, out, err = await cli(story, tmp_path, "erase", EDITOR_A.aad_object_id, "--dry-run")
    assert code == 0 and "would remove" in out
    async with story.bot.sessions() as session:
        assert (
            await session.scalars(select(PersonRow).where(PersonRow.email == EDITOR_A.email))
        ).one()
        assert "person.erased" not in (await session.scalars(select(AuditEventRow.action))).all()

    code, out, err = await cli(story, tmp_path, "erase", EDITOR_A.aad_object_id)

    assert code == 0, err
    assert "removed or anonymised" in out and "kept as public records" in out
    assert "audit log" in out and "R3" in out
    async with story.bot.sessions() as session:
        people = (await session.scalars(select(PersonRow))).all()
        erased = next(p for p in people if p.aad_object_id == f"erased:{p.id}")
        references = (
            await session.scalars(
                select(ConversationReferenceRow).where(
                    ConversationReferenceRow.person_id == erased.id
                )
            )
        ).all()
        editor = (
            await session.scalars(
                select(ChannelEditorRow).where(ChannelEditorRow.person_id == erased.id)
            )
        ).one()
        states = (await session.scalars(select(BotStateRow.key))).all()
        actions = (await session.scalars(select(AuditEventRow.action))).all()
    assert (erased.name, erased.email, erased.teams_user_id) == (None, None, None)
    assert references == []
    assert editor.status == "accepted"  # the record of who administered the channel is kept
    assert not any(EDITOR_A.conversation_id in key for key in states)
    assert "person.erased" in actions
    code, _, err = await cli(story, tmp_path, "export", EDITOR_A.email)
    assert code == 1


async def test_consent_subject_export_and_erase_after_withdrawal(
    story: Story, files: FileServer, tmp_path: Path
):
    consent_id = await consent_with_form(story, files, "Alva Exempelsson 7B samtycke.pdf")

    code, out, err = await cli(story, tmp_path, "export", f"consent:{consent_id}")
    assert code == 0, err
    [subject] = json.loads(out)["consent_subject"]
    assert subject["subject"] == "Alva Exempelsson 7B" and subject["guardian"] == "Bo Exempelsson"
    assert subject["documents"][0]["filename"] == "Alva Exempelsson 7B samtycke.pdf"

    # An active consent is withdrawn first, so that its posts are removed (R9, R11).
    code, _, err = await cli(story, tmp_path, "erase", f"consent:{consent_id}")
    assert code == 2 and "withdraw them first" in err

    await execute(story, EDITOR_A, "consent.withdraw", {"consent_id": str(consent_id)})
    code, out, err = await cli(story, tmp_path, "erase", f"consent:{consent_id}")

    assert code == 0, err
    assert "signed consent forms" in out
    async with story.bot.sessions() as session:
        consent = await session.get(ConsentRow, consent_id)
        [form] = (await session.scalars(select(EvidenceFileRow))).all()
    assert consent is not None
    assert (consent.subject, consent.guardian, consent.status) == ("[raderad]", None, "withdrawn")
    # The signed form is a public record, kept (R10), but no longer under the child's name.
    store = LocalFileStore(story.bot.settings.files_dir)
    assert form.filename == f"samtycke-{consent_id}.pdf" and "Alva" not in form.file_key
    assert await store.open(form.file_key) == b"%PDF-1.4\n%test\n"
    stored = [p.name for p in story.bot.settings.files_dir.rglob("*") if p.is_file()]
    assert not any("Alva" in name for name in stored)
