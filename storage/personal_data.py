"""Personal data: everything stored about a person or a consent subject, and its erasure.

`kanalkollen person export ID` and `kanalkollen person erase ID [--dry-run]` use this module
(`--dry-run` only reports what erasure would do).

What erasure removes (not public records, only needed to reach or serve the person):
- conversation references, the bot's dialog state of their chats and the card copies posted
  there, pending messages to them (cancelled) and the content of those already sent (a copy of
  what their chat shows, not a record); their name, e-mail, Teams id and language
  (the people row stays as an anonymous tombstone, because the rows below point to it);
- files the person sent in a dialog that never became part of a record (a documentation
  round, a consent check or a closing left unfinished): their content is deleted from the file
  store, since nothing but the erased dialog state pointed to them;
- for a consent subject: the name or reference and the guardian's name on withdrawn consents,
  the withdrawal note, and the subject's name in the stored file name of a signed form (the form
  is stored again under a neutral name, `samtycke-<consent id>.<ext>`, and the old copy deleted).

What is kept, and why (public records, allmänna handlingar, kept as the records management
plan says until it lets them be culled; R11, R12, R13):
- channels, plans, approvals, editor assignments and registration notices: records of how the
  organisation runs its official channels (R2, R3, R5, R8);
- the audit log: append-only by design (a database trigger refuses changes); it holds ids and
  decisions, not names;
- signed consent forms, withdrawal records, captures and documentation: records the records
  plan keeps (R10, R11, R12);
- consent checks and post addresses: the record of what was published and on what grounds.

A consent subject whose consent is still active is not erased: the consent is withdrawn first
(`återkalla samtycke`), so that the posts relying on it are removed (R9, R11).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.outbox import OutboxStatus
from storage.audit import record_event
from storage.files import KEY_PATTERN, FileStore, NoSuchFile
from storage.models import (
    AuditEventRow,
    BotStateRow,
    CardCopyRow,
    ChannelClosingRow,
    ChannelEditorRow,
    ChannelRow,
    ConsentCheckConsentRow,
    ConsentCheckRow,
    ConsentRow,
    ConversationReferenceRow,
    DocumentationFileRow,
    DocumentationRoundRow,
    EvidenceFileRow,
    OutboxRow,
    PersonRow,
    RemovalTaskRow,
)

ERASED = "[raderad]"
WAITING = (OutboxStatus.PENDING.value, OutboxStatus.SENDING.value)


class UnknownTarget(LookupError):
    """No person or consent subject matches the id."""


class NotErasable(ValueError):
    """The target cannot be erased yet (e.g. an active consent)."""


@dataclass
class Target:
    """The person rows, or the consent rows of one subject, that an id names."""

    kind: str  # "person" | "consent"
    people: list[PersonRow] = field(default_factory=list)
    consents: list[ConsentRow] = field(default_factory=list)

    @property
    def ids(self) -> list[int]:
        """The row ids, for the audit log (no personal data)."""
        rows = self.people if self.kind == "person" else self.consents
        return [row.id for row in rows]


@dataclass
class ErasureReport:
    """What an erasure removed or anonymised, and what it kept and why."""

    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    # Stored files whose content goes once the erasure is committed (`remove_files`).
    files_to_delete: list[str] = field(default_factory=list)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


async def find_target(session: AsyncSession, ident: str) -> Target:
    """`person:<n>`, `consent:<n>`, an e-mail address or an AAD object id."""
    ident = ident.strip()
    kind, _, rest = ident.partition(":")
    if kind == "consent" and rest.isdigit():
        consent = await session.get(ConsentRow, int(rest))
        if consent is None:
            raise UnknownTarget(ident)
        # The same subject in the same channel's register: one person's consents.
        rows = await session.scalars(
            select(ConsentRow)
            .where(ConsentRow.channel_id == consent.channel_id)
            .order_by(ConsentRow.id)
        )
        wanted = consent.subject.casefold()
        return Target("consent", consents=[c for c in rows if c.subject.casefold() == wanted])
    if kind == "person" and rest.isdigit():
        person = await session.get(PersonRow, int(rest))
        people = [person] if person is not None else []
    elif "@" in ident:
        found = await session.scalars(
            select(PersonRow).where(PersonRow.email.is_not(None)).order_by(PersonRow.id)
        )
        people = [p for p in found if (p.email or "").casefold() == ident.casefold()]
    else:
        people = list(
            await session.scalars(select(PersonRow).where(PersonRow.aad_object_id == ident))
        )
    if not people:
        raise UnknownTarget(ident)
    return Target("person", people=people)


async def export(session: AsyncSession, target: Target) -> dict[str, Any]:
    """Everything stored about the target, as JSON-ready data."""
    if target.kind == "consent":
        return {"consent_subject": [await _consent(session, c) for c in target.consents]}
    return {"people": [await _person(session, p) for p in target.people]}


async def _conversations(session: AsyncSession, person_id: int) -> list[ConversationReferenceRow]:
    rows = await session.scalars(
        select(ConversationReferenceRow).where(ConversationReferenceRow.person_id == person_id)
    )
    return list(rows)


def _state_keys(conversations: list[ConversationReferenceRow]) -> list[str]:
    return [f"{c.channel_id}/conversations/{c.conversation_id}" for c in conversations]


async def _person(session: AsyncSession, person: PersonRow) -> dict[str, Any]:
    pid = person.id
    conversations = await _conversations(session, pid)
    channels = await session.scalars(
        select(ChannelRow)
        .where(
            or_(
                ChannelRow.requester_person_id == pid,
                ChannelRow.manager_person_id == pid,
                ChannelRow.decided_by_person_id == pid,
            )
        )
        .order_by(ChannelRow.id)
    )
    editors = await session.scalars(
        select(ChannelEditorRow).where(ChannelEditorRow.person_id == pid)
    )
    checks = await session.scalars(select(ConsentCheckRow).where(ConsentCheckRow.person_id == pid))
    recorded = await session.scalars(
        select(ConsentRow).where(ConsentRow.recorded_by_person_id == pid)
    )
    uploads = await session.scalars(
        select(EvidenceFileRow).where(EvidenceFileRow.uploaded_by_person_id == pid)
    )
    rounds = await session.scalars(
        select(DocumentationRoundRow).where(DocumentationRoundRow.completed_by_person_id == pid)
    )
    removals = await session.scalars(
        select(RemovalTaskRow).where(RemovalTaskRow.completed_by_person_id == pid)
    )
    withdrawn = await session.scalars(
        select(ConsentRow.id).where(ConsentRow.withdrawn_by_person_id == pid)
    )
    audit = await session.scalars(
        select(AuditEventRow)
        .where(
            or_(
                AuditEventRow.actor_person_id == pid,
                (AuditEventRow.subject_type == "person") & (AuditEventRow.subject_id == str(pid)),
            )
        )
        .order_by(AuditEventRow.id)
    )
    outbox = await session.scalars(
        select(OutboxRow).where(OutboxRow.recipient_person_id == pid).order_by(OutboxRow.id)
    )
    states = _state_keys(conversations)
    state_rows = (
        list(await session.scalars(select(BotStateRow.key).where(BotStateRow.key.in_(states))))
        if states
        else []
    )
    return {
        "person": {
            "id": pid,
            "tenant_id": person.tenant_id,
            "aad_object_id": person.aad_object_id,
            "teams_user_id": person.teams_user_id,
            "name": person.name,
            "email": person.email,
            "locale": person.locale,
            "undeliverable_at": _iso(person.undeliverable_at),
            "undeliverable_reason": person.undeliverable_reason,
            "created_at": _iso(person.created_at),
            "updated_at": _iso(person.updated_at),
        },
        "conversations": [
            {
                "conversation_id": c.conversation_id,
                "type": c.conversation_type,
                "service_url": c.service_url,
                "updated_at": _iso(c.updated_at),
            }
            for c in conversations
        ],
        "dialog_state_keys": state_rows,
        "channels": [
            {
                "id": c.id,
                "name": c.name,
                "status": c.status,
                "roles": [
                    role
                    for role, holder in (
                        ("requester", c.requester_person_id),
                        ("manager", c.manager_person_id),
                        ("decided_by", c.decided_by_person_id),
                    )
                    if holder == pid
                ],
            }
            for c in channels
        ],
        "editor_roles": [
            {
                "channel_id": e.channel_id,
                "status": e.status,
                "nominated_at": _iso(e.nominated_at),
                "responded_at": _iso(e.responded_at),
                "removed_at": _iso(e.removed_at),
            }
            for e in editors
        ],
        "consent_checks": [
            {
                "id": c.id,
                "channel_id": c.channel_id,
                "outcome": c.outcome,
                "checked_at": _iso(c.checked_at),
                "post_address": c.post_address,
            }
            for c in checks
        ],
        "consents_recorded": [c.id for c in recorded],
        "consents_withdrawn": list(withdrawn),
        "removal_tasks_done": [
            {"id": t.id, "channel_id": t.channel_id, "completed_at": _iso(t.completed_at)}
            for t in removals
        ],
        "files_uploaded": [_file(f) for f in uploads],
        "documentation_rounds": [
            {"id": r.id, "channel_id": r.channel_id, "completed_at": _iso(r.completed_at)}
            for r in rounds
        ],
        "audit_events": [_event(e) for e in audit],
        "messages": [
            {
                "id": m.id,
                "kind": m.kind,
                "status": m.status,
                "created_at": _iso(m.created_at),
                "sent_at": _iso(m.sent_at),
            }
            for m in outbox
        ],
    }


def _file(row: EvidenceFileRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "subject": f"{row.subject_type}:{row.subject_id}",
        "purpose": row.purpose,
        "filename": row.filename,
        "content_type": row.content_type,
        "size": row.size,
        "sha256": row.sha256,
        "uploaded_at": _iso(row.uploaded_at),
    }


def _event(row: AuditEventRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "at": _iso(row.at),
        "action": row.action,
        "subject": f"{row.subject_type}:{row.subject_id}",
        "details": row.details,
    }


async def _consent(session: AsyncSession, consent: ConsentRow) -> dict[str, Any]:
    checks = await session.scalars(
        select(ConsentCheckRow)
        .join(ConsentCheckConsentRow, ConsentCheckConsentRow.check_id == ConsentCheckRow.id)
        .where(ConsentCheckConsentRow.consent_id == consent.id)
        .order_by(ConsentCheckRow.id)
    )
    tasks = await session.scalars(
        select(RemovalTaskRow).where(RemovalTaskRow.consent_id == consent.id)
    )
    files = await session.scalars(
        select(EvidenceFileRow)
        .where(EvidenceFileRow.subject_type == "consent")
        .where(EvidenceFileRow.subject_id == consent.id)
    )
    audit = await session.scalars(
        select(AuditEventRow)
        .where(AuditEventRow.subject_type == "consent")
        .where(AuditEventRow.subject_id == str(consent.id))
        .order_by(AuditEventRow.id)
    )
    return {
        "id": consent.id,
        "channel_id": consent.channel_id,
        "subject": consent.subject,
        "minor": consent.minor,
        "guardian": consent.guardian,
        "scope": consent.scope,
        "form": consent.form,
        "document_reference": consent.document_reference,
        "status": consent.status,
        "recorded_at": _iso(consent.recorded_at),
        "withdrawn_at": _iso(consent.withdrawn_at),
        "withdrawal_note": consent.withdrawal_note,
        "documents": [_file(f) for f in files],
        "posts": [
            {"check_id": c.id, "post_address": c.post_address, "checked_at": _iso(c.checked_at)}
            for c in checks
        ],
        "removal_tasks": [
            {"id": t.id, "status": t.status, "post_address": t.post_address} for t in tasks
        ],
        "audit_events": [_event(e) for e in audit],
    }


async def erase(
    session: AsyncSession,
    target: Target,
    now: datetime,
    *,
    files: FileStore | None = None,
    dry_run: bool = False,
) -> ErasureReport:
    """Removes or anonymises what is not a public record; reports what is kept and why.

    With `files`, stored file contents are handled too: a signed form is stored again under a
    neutral name, and `report.files_to_delete` lists what `remove_files` deletes once the
    session is committed (deleted before the commit, a rollback would leave rows without files).
    """
    report = ErasureReport()
    if target.kind == "consent":
        await _erase_subject(session, target, report, dry_run, files)
    else:
        for person in target.people:
            await _erase_person(session, person, now, report, dry_run)
    report.kept += [
        "audit log: append-only record of decisions (ids only, no names)",
    ]
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


def _neutral_form_name(consent_id: int, filename: str) -> str:
    extension = filename.rpartition(".")[2].lower() if "." in filename else ""
    suffix = f".{extension}" if extension.isalnum() and len(extension) <= 5 else ""
    return f"samtycke-{consent_id}{suffix}"


async def _rename_forms(
    session: AsyncSession,
    consent: ConsentRow,
    report: ErasureReport,
    dry_run: bool,
    files: FileStore | None,
) -> None:
    """A signed form stays (R10), but its stored name no longer names the subject."""
    forms = await session.scalars(
        select(EvidenceFileRow)
        .where(EvidenceFileRow.subject_type == "consent")
        .where(EvidenceFileRow.subject_id == consent.id)
    )
    for form in list(forms):
        neutral = _neutral_form_name(consent.id, form.filename)
        if form.filename == neutral:
            continue
        report.removed.append(f"consent {consent.id}: the file name of a signed form")
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
    for consent in target.consents:
        if consent.subject != ERASED or consent.guardian or consent.withdrawal_note:
            report.removed.append(
                f"consent {consent.id}: subject's name, guardian's name and withdrawal note"
            )
        await _rename_forms(session, consent, report, dry_run, files)
        if not dry_run:
            consent.subject = ERASED
            consent.guardian = None
            consent.withdrawal_note = None
            consent.details = {}
    report.kept += [
        "signed consent forms (their content, under a neutral file name) and where they are "
        "filed: public records the records plan keeps (R10)",
        "withdrawal dates, removal tasks and their captures: the record that the posts were "
        "removed (R9, R11)",
        "consent checks and post addresses: the record of what was published (R9, R10)",
    ]


async def _erase_person(
    session: AsyncSession, person: PersonRow, now: datetime, report: ErasureReport, dry_run: bool
) -> None:
    pid = person.id
    conversations = await _conversations(session, pid)
    conversation_ids = [c.conversation_id for c in conversations]
    states = _state_keys(conversations)
    messages = list(
        await session.execute(
            select(OutboxRow.id, OutboxRow.status).where(OutboxRow.recipient_person_id == pid)
        )
    )
    pending = [m for m, status in messages if status in WAITING]
    delivered = [m for m, status in messages if status not in WAITING]
    unfinished = await _unfinished_uploads(session, states)
    report.removed += [
        f"{len(unfinished)} file(s) the person sent in a dialog that no record holds "
        "(their content)",
        f"person {pid}: name, e-mail, Teams ids and language",
        f"{len(conversations)} conversation reference(s) and the dialog state of those chats",
        f"{len(pending)} pending message(s) to the person (cancelled)",
        f"the content of {len(delivered)} message(s) already sent to the person "
        "(the date and kind stay)",
    ]
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
            .values(status=OutboxStatus.CANCELLED.value, last_error="person erased", payload={})
        )
    if delivered:
        # A copy of a card or text shown in their chat is not a record; the decision is.
        await session.execute(
            update(OutboxRow).where(OutboxRow.id.in_(delivered)).values(payload={}, result=None)
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
