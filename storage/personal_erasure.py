"""Erasure of one person (the GDPR's right to erasure) where the records rules allow it."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.outbox import OutboxKind, OutboxStatus
from storage.audit import record_event
from storage.files import KEY_PATTERN, FileStore, NoSuchFile
from storage.models import (
    BotStateRow,
    CardCopyRow,
    ChannelClosingRow,
    ChannelRow,
    ConsentRow,
    ConversationReferenceRow,
    DocumentationFileRow,
    DocumentationRoundRow,
    EvidenceFileRow,
    OutboxRow,
    PersonRow,
    RemovalTaskRow,
)
from storage.outbox import enqueue
from storage.personal_copies import (
    ERASED,
    Copies,
    find_copies,
    name_pattern,
    scrub,
    shown_in_chats,
)
from storage.personal_data import Target, conversations_of, state_keys_of

WAITING = (OutboxStatus.PENDING.value, OutboxStatus.SENDING.value)


class NotErasable(ValueError):
    """The target cannot be erased yet (e.g. an active consent)."""


@dataclass
class ErasureReport:
    """What an erasure removed or anonymised, and what it kept and why."""

    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    # Stored files whose content goes once the erasure is committed (`remove_files`).
    files_to_delete: list[str] = field(default_factory=list)


async def erase(
    session: AsyncSession,
    target: Target,
    now: datetime,
    *,
    files: FileStore | None = None,
    dry_run: bool = False,
    register_exports: Sequence[str] = (),
) -> ErasureReport:
    """Removes or anonymises what is not a public record; reports what is kept and why.

    With `files`, stored file contents are handled too: a signed form is stored again under a
    neutral name, and `report.files_to_delete` lists what `remove_files` deletes once the
    session is committed (deleted before the commit, a rollback would leave rows without files).
    `register_exports` are the consent register's CSVs that older versions stored (copies of
    the whole register with every name, see storage.personal_copies): they go too.
    """
    report = ErasureReport()
    if register_exports:
        report.removed.append(
            f"{len(register_exports)} stored copies of the consent register's CSV, made before "
            "the register was made when asked for (their links had expired)"
        )
        if not dry_run:
            report.files_to_delete += register_exports
    if target.kind == "consent":
        await _erase_subject(session, target, now, report, dry_run, files)
    else:
        for person in target.people:
            await _erase_person(session, person, now, report, dry_run)
    report.kept.append("audit log: append-only record of decisions (ids, no names)")
    if not dry_run:
        record_event(
            session,
            at=now,
            action="person.erased",
            subject_type=target.kind,
            subject_id=",".join(map(str, target.ids)),
            details={"removed": len(report.removed)},
        )
    return report


async def remove_files(files: FileStore, report: ErasureReport) -> list[str]:
    """Deletes the contents an erasure let go (after its commit); returns the keys it could not."""
    failed = []
    for key in report.files_to_delete:
        try:
            await files.delete(key)
        except OSError:
            failed.append(key)
    return failed


def _extension(filename: str) -> str:
    extension = filename.rpartition(".")[2].lower() if "." in filename else ""
    return f".{extension}" if extension.isalnum() and len(extension) <= 5 else ""


def _neutral_form_name(consent_id: int, filename: str) -> str:
    return f"samtycke-{consent_id}{_extension(filename)}"


def _neutral_capture_name(capture: EvidenceFileRow) -> str:
    return f"borttagning-{capture.subject_id}-{capture.id}{_extension(capture.filename)}"


async def _rename_forms(
    session: AsyncSession,
    consent: ConsentRow,
    report: ErasureReport,
    dry_run: bool,
    files: FileStore | None,
    pattern: re.Pattern[str] | None,
) -> None:
    """A signed form stays (R10), but its stored name no longer names the subject; a capture
    of a removed post (R11) whose name an editor gave it with the subject's is renamed too."""
    forms = await session.scalars(
        select(EvidenceFileRow)
        .where(EvidenceFileRow.subject_type == "consent")
        .where(EvidenceFileRow.subject_id == consent.id)
    )
    tasks = select(RemovalTaskRow.id).where(RemovalTaskRow.consent_id == consent.id)
    captures = await session.scalars(
        select(EvidenceFileRow)
        .where(EvidenceFileRow.subject_type == "removal_task")
        .where(EvidenceFileRow.subject_id.in_(tasks))
    )
    named = [
        (form, _neutral_form_name(consent.id, form.filename), "a signed form") for form in forms
    ] + [
        (capture, _neutral_capture_name(capture), "a capture of a removed post")
        for capture in captures
        if pattern is not None and pattern.search(capture.filename)
    ]
    for form, neutral, what in named:
        if form.filename == neutral:
            continue
        report.removed.append(f"consent {consent.id}: the file name of {what}")
        if dry_run:
            continue
        match = KEY_PATTERN.fullmatch(form.file_key)
        kind = match["kind"] if match else "consent"
        content = None
        if files is not None:
            with contextlib.suppress(NoSuchFile):  # a lost file leaves only its name to change
                content = await files.open(form.file_key)
        if files is not None and content is not None:
            stored = await files.put(
                content,
                kind=kind,
                filename=neutral,
                content_type=form.content_type,
            )
            report.files_to_delete.append(form.file_key)
            form.file_key = stored.key
        form.filename = neutral


async def _unfinished_uploads(session: AsyncSession, states: list[str]) -> list[str]:
    """Keys of files named in the dialog states that no record holds (unfinished dialogs)."""
    if not states:
        return []
    data = await session.scalars(select(BotStateRow.data).where(BotStateRow.key.in_(states)))
    keys = sorted({m.group(0) for text in data for m in KEY_PATTERN.finditer(text)})
    if not keys:
        return []
    held: set[str] = set()
    for column in (
        EvidenceFileRow.file_key,
        DocumentationFileRow.file_key,
        DocumentationRoundRow.package_file_key,
        ChannelClosingRow.package_file_key,
        ChannelRow.plan_file_key,
    ):
        held.update(await session.scalars(select(column).where(column.in_(keys))))
    return [key for key in keys if key not in held]


async def _erase_subject(
    session: AsyncSession,
    target: Target,
    now: datetime,
    report: ErasureReport,
    dry_run: bool,
    files: FileStore | None,
) -> None:
    active = [c.id for c in target.consents if c.status == "active"]
    if active:
        raise NotErasable(
            f"consent(s) {', '.join(map(str, active))} still active: withdraw them first "
            "(återkalla samtycke) so that the posts relying on them are removed"
        )
    pattern = name_pattern(
        [c.subject for c in target.consents] + [c.guardian for c in target.consents]
    )
    for consent in target.consents:
        if consent.subject != ERASED or consent.guardian or consent.withdrawal_note:
            report.removed.append(
                f"consent {consent.id}: subject's name, guardian's name and withdrawal note"
            )
        await _rename_forms(session, consent, report, dry_run, files, pattern)
        if not dry_run:
            consent.subject = ERASED
            consent.guardian = None
            consent.withdrawal_note = None
            consent.details = {}
            if pattern is not None and consent.document_reference:
                consent.document_reference = scrub(consent.document_reference, pattern)
    if pattern is not None:
        copies = await find_copies(
            session, pattern, channel_ids={c.channel_id for c in target.consents}
        )
        await _erase_copies(session, copies, pattern, report, dry_run, end_states=True, now=now)
    report.kept += [
        "signed consent forms (their content, under a neutral file name) and where they are "
        "filed: public records the records plan keeps (R10)",
        "withdrawal dates, removal tasks and their captures: the record that the posts were "
        "removed (R9, R11)",
        "consent checks (outcome, what was missing, the number of people) and post addresses, "
        "with the names in their answers replaced by [raderad]: the record of what was "
        "published and on what grounds (R9, R10)",
        "the consent's own row (id, channel, scope, form, dates, status): the register's "
        "record that a consent existed and was withdrawn (R10)",
    ]


async def _erase_copies(
    session: AsyncSession,
    copies: Copies,
    pattern: re.Pattern[str],
    report: ErasureReport,
    dry_run: bool,
    *,
    end_states: bool,
    now: datetime,
) -> None:
    """Replaces the names in every copy (issue 24); a dialog state naming a subject is ended.

    A card or text already shown in a Teams chat is updated there too, with the names
    replaced: the outbox queues an update of that message (the delivery loop sends it)."""
    sent = [m for m in copies.messages if m.status not in WAITING]
    shown = shown_in_chats(copies.messages)
    mailed = [m for m in sent if m.kind == OutboxKind.EMAIL.value and m.status == "sent"]
    if mailed:
        report.kept.append(
            f"{len(mailed)} e-mail(s) already sent that named them: a sent e-mail cannot be "
            "recalled (the outbox's copy is cleared)"
        )
    report.removed += [
        f"the names in {len(shown)} card(s) and text(s) already shown in Teams chats "
        "(updated there)",
        f"the names in {len(copies.checks)} consent check(s)' answers and findings",
        f"the names in {len(copies.removal_tasks)} removal task(s)",
        f"the names in {len(copies.messages) - len(sent)} queued and {len(sent)} sent or "
        "undeliverable message(s) (cards and texts in the outbox)",
        f"{len(copies.states)} dialog state(s) naming them "
        + ("(an unfinished consent check: ended)" if end_states else "(names replaced)"),
    ]
    if copies.audit:
        report.kept.append(
            f"{len(copies.audit)} audit event(s) whose details hold the name (e.g. a file "
            "name an editor gave a capture): the audit log is append-only and a database "
            "trigger refuses changes"
        )
    if dry_run:
        return
    for check in copies.checks:
        check.answers = scrub(check.answers, pattern)
        check.missing = scrub(check.missing, pattern)
        check.details = scrub(check.details, pattern)
    for task in copies.removal_tasks:
        task.details = scrub(task.details, pattern)
    for message in copies.messages:
        message.payload = scrub(message.payload, pattern)
        message.result = scrub(message.result, pattern)
        message.last_error = scrub(message.last_error, pattern)
    for (conversation_id, activity_id), message in shown.items():
        enqueue(
            session,
            kind=OutboxKind.TEAMS_UPDATE,
            payload={"activity_id": activity_id, "activity": message.payload["activity"]},
            now=now,
            tenant_id=message.tenant_id,
            recipient_person_id=message.recipient_person_id,
            conversation_id=conversation_id,
        )
    if end_states and copies.states:
        # Files sent in the ended dialog (a signed form for the check) that no record holds.
        unfinished = await _unfinished_uploads(session, [s.key for s in copies.states])
        report.removed.append(
            f"{len(unfinished)} file(s) sent in those dialogs that no record holds (content)"
        )
        report.files_to_delete += unfinished
    for state in copies.states:
        if end_states:
            await session.delete(state)
        else:
            state.data = _scrub_text(state.data, pattern)


def _scrub_text(text: str, pattern: re.Pattern[str]) -> str:
    """A stored JSON text with the names replaced value by value (escapes included)."""
    try:
        return json.dumps(scrub(json.loads(text), pattern))
    except (ValueError, RecursionError):
        return str(scrub(text, pattern))


async def _erase_person(
    session: AsyncSession, person: PersonRow, now: datetime, report: ErasureReport, dry_run: bool
) -> None:
    pid = person.id
    conversations = await conversations_of(session, pid)
    conversation_ids = [c.conversation_id for c in conversations]
    states = state_keys_of(conversations, person.teams_user_id)
    # Their messages: to their chat, and e-mails to their address (which may name no person).
    theirs = OutboxRow.recipient_person_id == pid
    if person.email:
        theirs = or_(theirs, func.lower(OutboxRow.recipient_address) == person.email.lower())
    messages = list(await session.execute(select(OutboxRow.id, OutboxRow.status).where(theirs)))
    own = {m for m, _ in messages}
    pending = [m for m, status in messages if status in WAITING]
    delivered = [m for m, status in messages if status not in WAITING]
    unfinished = await _unfinished_uploads(session, states)
    pattern = name_pattern([person.name, person.email])
    copies = (
        await find_copies(session, pattern, skip_states=states)
        if pattern is not None
        else Copies()
    )
    # Their own messages lose their whole content below.
    copies.messages = [m for m in copies.messages if m.id not in own]
    report.removed += [
        f"{len(unfinished)} file(s) the person sent in a dialog that no record holds "
        "(their content)",
        f"person {pid}: name, e-mail, Teams ids and language",
        f"{len(conversations)} conversation reference(s) and the dialog state of those chats",
        f"{len(pending)} pending message(s) to the person (cancelled)",
        f"the content of {len(delivered)} message(s) already sent to the person "
        "(the date and kind stay)",
    ]
    if pattern is not None:
        # Cards and texts to others that name the person (e.g. "Dokumenterad av …").
        await _erase_copies(session, copies, pattern, report, dry_run, end_states=False, now=now)
    if dry_run:
        return
    report.files_to_delete += unfinished
    if states:
        await session.execute(delete(BotStateRow).where(BotStateRow.key.in_(states)))
    if conversation_ids:
        await session.execute(
            delete(CardCopyRow).where(CardCopyRow.conversation_id.in_(conversation_ids))
        )
    await session.execute(
        delete(ConversationReferenceRow).where(ConversationReferenceRow.person_id == pid)
    )
    if pending:
        await session.execute(
            update(OutboxRow)
            .where(OutboxRow.id.in_(pending))
            .values(
                status=OutboxStatus.CANCELLED.value,
                last_error="person erased",
                payload={},
                recipient_address=None,
            )
        )
    if delivered:
        # A copy of a card or text shown in their chat is not a record; the decision is.
        await session.execute(
            update(OutboxRow)
            .where(OutboxRow.id.in_(delivered))
            .values(payload={}, result=None, recipient_address=None, last_error=None)
        )
    person.name = None
    person.email = None
    person.teams_user_id = None
    person.locale = None
    person.aad_object_id = f"erased:{pid}"
    person.undeliverable_at = now
    person.undeliverable_reason = "erased"
    person.updated_at = now
    report.kept += [
        "channels, plans, decisions and editor assignments that name the person by id: "
        "records of the organisation's official channels (R2, R3, R5, R8)",
        "consents the person recorded, documentation rounds and the files they sent for them "
        "(screenshots, captures, exports, packages): public "
        "records the records plan keeps (R10, R12)",
    ]
