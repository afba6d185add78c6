"""Personal data (issue 5): finding a person or consent subject, exporting and erasing them.

Erasure removes what only serves to reach the person and keeps public records (R10, R11): the
people row stays as a tombstone because records and the append-only audit log point to it.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.outbox import OutboxStatus
from storage.audit import record_event
from storage.files import FileStore
from storage.models import (
    AuditEventRow,
    BotStateRow,
    ChannelRow,
    ConsentCheckConsentRow,
    ConsentCheckRow,
    ConsentRow,
    ConversationReferenceRow,
    EvidenceFileRow,
    OutboxRow,
    PersonRow,
    RemovalTaskRow,
)
from storage.outbox import enqueue
from storage.people import upsert_conversation, upsert_person
from storage.personal_data import UnknownTarget, find_target
from storage.personal_erasure import ERASED, NotErasable, erase, remove_files
from storage.personal_export import export
from tests.conftest import START
from tests.storage.factories import make_outbox_row, make_seen_conversation, make_seen_person
from tests.support.factories import TENANT_ID

LATER = START + timedelta(days=3)
CHAT = "a:1testperson1personalchat"
OTHER_CHAT = "a:1testperson2personalchat"

Sessions = async_sessionmaker[AsyncSession]


async def _channel(session: AsyncSession, name: str, manager_id: int) -> ChannelRow:
    channel = ChannelRow(
        tenant_id=TENANT_ID,
        status="active",
        platform="instagram",
        name=name,
        unit="Testskolan",
        purpose="Visa vardagen i skolan",
        plan={},
        login_reference="Enhetens lösenordsvalv, post 12",
        manager_person_id=manager_id,
        manager_source="graph",
        created_at=START,
        updated_at=START,
    )
    session.add(channel)
    await session.flush()
    return channel


def _consent(channel_id: int, subject: str, **overrides: Any) -> ConsentRow:
    values: dict[str, Any] = dict(
        channel_id=channel_id,
        subject=subject,
        minor=True,
        guardian="Vårdnadshavare Testsson",
        scope="several_contexts",
        form="written",
        status="active",
        recorded_at=START,
        details={},
    )
    values.update(overrides)
    return ConsentRow(**values)


@pytest.fixture
async def world(sessions: Sessions) -> dict[str, int]:
    """Two people with chats and messages; a channel with consents, a post and a done task."""
    async with sessions.begin() as session:
        editor = await upsert_person(session, make_seen_person(1), START)
        editor.email = "Test.Person1@stad.example"
        other = await upsert_person(session, make_seen_person(2), START)
        await upsert_conversation(session, make_seen_conversation(CHAT), editor.id, START)
        await upsert_conversation(session, make_seen_conversation(OTHER_CHAT), other.id, START)
        for key in (
            f"msteams/conversations/{CHAT}",
            f"msteams/conversations/{CHAT}/users/{editor.teams_user_id}",  # per person (now)
            f"msteams/conversations/{OTHER_CHAT}",
        ):
            session.add(BotStateRow(key=key, etag="1", data="{}", updated_at=START))
        channel = await _channel(session, "Testskolan på Instagram", other.id)
        second = await _channel(session, "Fritids på Instagram", other.id)
        withdrawn = _consent(
            channel.id,
            "Elev Testsson 7B",
            status="withdrawn",
            withdrawn_at=START,
            withdrawn_by_person_id=editor.id,
            withdrawal_note="Vårdnadshavaren ringde",
            recorded_by_person_id=editor.id,
        )
        # The same subject again in the same register (other case), and elsewhere.
        again = _consent(channel.id, "elev testsson 7b", status="withdrawn", withdrawn_at=START)
        active = _consent(channel.id, "Annan Elev 8A")
        elsewhere = _consent(second.id, "Elev Testsson 7B")
        session.add_all([withdrawn, again, active, elsewhere])
        await session.flush()
        check = ConsentCheckRow(
            channel_id=channel.id,
            person_id=editor.id,
            answers={},
            outcome="publish",
            checked_at=START,
            post_address="https://www.instagram.com/p/test1/",
        )
        session.add(check)
        await session.flush()
        session.add(ConsentCheckConsentRow(check_id=check.id, consent_id=withdrawn.id))
        session.add(
            RemovalTaskRow(
                consent_id=withdrawn.id,
                check_id=check.id,
                channel_id=channel.id,
                post_address=check.post_address,
                status="done",
                created_at=START,
                completed_at=START,
                completed_by_person_id=editor.id,
                details={},
            )
        )
        record_event(
            session,
            at=START,
            action="consent.withdrawn",
            subject_type="consent",
            subject_id=withdrawn.id,
            actor_person_id=editor.id,
        )
        pending = enqueue(session, **make_outbox_row(recipient_person_id=editor.id))
        sent = enqueue(
            session, **make_outbox_row(recipient_person_id=editor.id, payload={"text": "Hej"})
        )
        theirs = enqueue(session, **make_outbox_row(recipient_person_id=other.id))
        await session.flush()
        sent.status = OutboxStatus.SENT.value
        return {
            "editor": editor.id,
            "other": other.id,
            "withdrawn": withdrawn.id,
            "again": again.id,
            "active": active.id,
            "elsewhere": elsewhere.id,
            "pending": pending.id,
            "sent": sent.id,
            "theirs": theirs.id,
        }


async def test_every_id_form_finds_the_person(sessions: Sessions, world: dict[str, int]):
    seen = make_seen_person(1)
    async with sessions() as session:
        for ident in (
            seen.aad_object_id,
            "test.person1@STAD.example",
            f"person:{world['editor']}",
            f"  person:{world['editor']} ",
        ):
            target = await find_target(session, ident)
            assert (target.kind, target.ids) == ("person", [world["editor"]]), ident
        for unknown in ("person:999", "nobody@stad.example", "consent:999", "consent:x"):
            with pytest.raises(UnknownTarget):
                await find_target(session, unknown)


async def test_a_consent_subject_is_their_consents_in_the_same_register(
    sessions: Sessions, world: dict[str, int]
):
    async with sessions() as session:
        target = await find_target(session, f"consent:{world['withdrawn']}")
    # The same name in another channel's register may be somebody else: not included.
    assert (target.kind, target.ids) == ("consent", [world["withdrawn"], world["again"]])


async def test_export_of_a_person_holds_their_roles_tasks_and_messages(
    sessions: Sessions, world: dict[str, int]
):
    async with sessions() as session:
        [data] = (await export(session, await find_target(session, f"person:{world['editor']}")))[
            "people"
        ]
    assert data["person"]["email"] == "Test.Person1@stad.example"
    assert [c["conversation_id"] for c in data["conversations"]] == [CHAT]
    assert sorted(data["dialog_state_keys"]) == [
        f"msteams/conversations/{CHAT}",
        f"msteams/conversations/{CHAT}/users/{data['person']['teams_user_id']}",
    ]
    assert data["consents_recorded"] == [world["withdrawn"]]
    assert data["consents_withdrawn"] == [world["withdrawn"]]
    assert [t["completed_at"] for t in data["removal_tasks_done"]] == [START.isoformat()]
    assert [a["action"] for a in data["audit_events"]] == ["consent.withdrawn"]
    assert sorted(m["id"] for m in data["messages"]) == [world["pending"], world["sent"]]


async def test_a_dry_run_erases_nothing(sessions: Sessions, world: dict[str, int]):
    async with sessions.begin() as session:
        target = await find_target(session, f"person:{world['editor']}")
        report = await erase(session, target, LATER, dry_run=True)
    assert report.removed and report.kept
    async with sessions() as session:
        person = await session.get(PersonRow, world["editor"])
        events = (await session.scalars(select(AuditEventRow.action))).all()
        references = await session.scalar(select(func.count(ConversationReferenceRow.id)))
    assert person is not None and person.name == "Testperson 1"
    assert "person.erased" not in events and references == 2


async def test_erasing_a_person_keeps_a_tombstone_and_the_records(
    sessions: Sessions, world: dict[str, int]
):
    async with sessions.begin() as session:
        target = await find_target(session, make_seen_person(1).aad_object_id)
        report = await erase(session, target, LATER)

    async with sessions() as session:
        person = await session.get(PersonRow, world["editor"])
        people = await session.scalar(select(func.count(PersonRow.id)))
        chats = (await session.scalars(select(ConversationReferenceRow.conversation_id))).all()
        states = (await session.scalars(select(BotStateRow.key))).all()
        pending = await session.get(OutboxRow, world["pending"])
        sent = await session.get(OutboxRow, world["sent"])
        theirs = await session.get(OutboxRow, world["theirs"])
        consent = await session.get(ConsentRow, world["withdrawn"])
        withdrawal, erased = (
            await session.scalars(select(AuditEventRow).order_by(AuditEventRow.id))
        ).all()
    assert person is not None and people == 2
    assert (person.name, person.email, person.teams_user_id, person.locale) == (None,) * 4
    assert person.aad_object_id == f"erased:{person.id}"
    assert chats == [OTHER_CHAT] and states == [f"msteams/conversations/{OTHER_CHAT}"]
    assert pending is not None and sent is not None and theirs is not None
    assert (pending.status, pending.payload) == (OutboxStatus.CANCELLED.value, {})
    assert (sent.status, sent.payload) == (OutboxStatus.SENT.value, {})
    assert theirs.status == OutboxStatus.PENDING.value and theirs.payload
    # Records that name the person by id are kept (R10, R11), and so is the audit log.
    assert consent is not None and consent.recorded_by_person_id == person.id
    assert withdrawal.actor_person_id == person.id
    assert (erased.action, erased.subject_type, erased.subject_id) == (
        "person.erased",
        "person",
        str(person.id),
    )
    assert set(erased.details or {}) == {"removed"}  # ids and counts, no personal data
    assert any("audit log" in line for line in report.kept)
    assert any("R10" in line for line in report.kept)
    async with sessions() as session:
        with pytest.raises(UnknownTarget):
            await find_target(session, "test.person1@stad.example")


async def test_an_active_consent_is_withdrawn_before_its_subject_is_erased_r9(
    sessions: Sessions, world: dict[str, int]
):
    async with sessions.begin() as session:
        target = await find_target(session, f"consent:{world['active']}")
        with pytest.raises(NotErasable, match="withdraw them first"):
            await erase(session, target, LATER)
    async with sessions() as session:
        consent = await session.get(ConsentRow, world["active"])
    assert consent is not None and consent.subject == "Annan Elev 8A"


async def test_erasing_a_consent_subject_keeps_the_signed_forms_r10_r11(
    sessions: Sessions, world: dict[str, int]
):
    async with sessions.begin() as session:
        target = await find_target(session, f"consent:{world['again']}")
        report = await erase(session, target, LATER)

    async with sessions() as session:
        erased = [await session.get(ConsentRow, world[name]) for name in ("withdrawn", "again")]
        elsewhere = await session.get(ConsentRow, world["elsewhere"])
        task = (await session.scalars(select(RemovalTaskRow))).one()
        event = (
            await session.scalars(
                select(AuditEventRow).where(AuditEventRow.action == "person.erased")
            )
        ).one()
    for consent in erased:
        assert consent is not None
        assert (consent.subject, consent.guardian, consent.withdrawal_note) == (ERASED, None, None)
        assert (consent.status, consent.form) == ("withdrawn", "written")
    assert elsewhere is not None and elsewhere.subject == "Elev Testsson 7B"
    assert task.post_address  # the record that the post was removed (R11)
    assert event.subject_id == f"{world['withdrawn']},{world['again']}"
    assert any("signed consent forms" in line and "R10" in line for line in report.kept)


async def _form(
    session: AsyncSession, files: FileStore, consent_id: int, filename: str, data: bytes
) -> EvidenceFileRow:
    stored = await files.put(
        data, kind="consent", filename=filename, content_type="application/pdf"
    )
    form = EvidenceFileRow(
        subject_type="consent",
        subject_id=consent_id,
        purpose="consent_form",
        file_key=stored.key,
        filename=filename,
        content_type="application/pdf",
        size=stored.size,
        sha256=stored.sha256,
        uploaded_at=START,
    )
    session.add(form)
    await session.flush()
    return form


async def test_a_signed_form_is_kept_under_a_neutral_name_r10(
    sessions: Sessions, world: dict[str, int], file_store: FileStore
):
    """Erasure reaches the stored file name: the form's content stays, the subject's name goes.
    On the local folder and on Azure Blob Storage (Azurite) alike."""
    files = file_store
    async with sessions.begin() as session:
        form = await _form(
            session, files, world["withdrawn"], "Elev Testsson 7B samtycke.PDF", b"%PDF-1.4 signed"
        )
        old_key, form_id = form.file_key, form.id

    async with sessions.begin() as session:
        target = await find_target(session, f"consent:{world['withdrawn']}")
        dry = await erase(session, target, LATER, files=files, dry_run=True)
    assert dry.files_to_delete == [] and await files.exists(old_key)

    async with sessions.begin() as session:
        target = await find_target(session, f"consent:{world['withdrawn']}")
        report = await erase(session, target, LATER, files=files)
    assert report.files_to_delete == [old_key]
    assert await files.exists(old_key)  # nothing is deleted before the commit
    assert await remove_files(files, report) == []

    async with sessions() as session:
        kept = await session.get(EvidenceFileRow, form_id)
    assert kept is not None
    assert kept.filename == f"samtycke-{world['withdrawn']}.pdf"
    assert "Testsson" not in kept.file_key
    assert await files.open(kept.file_key) == b"%PDF-1.4 signed"  # the record itself stays
    assert not await files.exists(old_key)


async def test_erasing_a_person_deletes_files_only_their_unfinished_dialog_held(
    sessions: Sessions, world: dict[str, int], file_store: FileStore
):
    """A screenshot sent in a dialog never finished is no record: its content goes with the
    dialog state; a file a record holds stays, and so does another person's. On the local
    folder and on Azure Blob Storage (Azurite) alike."""
    files = file_store
    orphan = await files.put(
        b"png1", kind="screenshots", filename="bild.png", content_type="image/png"
    )
    others = await files.put(
        b"png2", kind="screenshots", filename="bild.png", content_type="image/png"
    )
    async with sessions.begin() as session:
        form = await _form(session, files, world["withdrawn"], "samtycke.pdf", b"%PDF-1.4")
        state = {"dialog": {"files": [{"key": orphan.key}, {"key": form.file_key}]}}
        mine = await session.get(BotStateRow, f"msteams/conversations/{CHAT}")
        theirs = await session.get(BotStateRow, f"msteams/conversations/{OTHER_CHAT}")
        assert mine is not None and theirs is not None
        mine.data = json.dumps(state)
        theirs.data = json.dumps({"dialog": {"files": [{"key": others.key}]}})
        held = form.file_key

    async with sessions.begin() as session:
        target = await find_target(session, f"person:{world['editor']}")
        dry = await erase(session, target, LATER, files=files, dry_run=True)
    assert dry.files_to_delete == []
    assert any(line.startswith("1 file(s)") for line in dry.removed)

    async with sessions.begin() as session:
        target = await find_target(session, f"person:{world['editor']}")
        report = await erase(session, target, LATER, files=files)
    assert report.files_to_delete == [orphan.key]
    assert await remove_files(files, report) == []
    assert not await files.exists(orphan.key)
    assert await files.exists(held) and await files.exists(others.key)
