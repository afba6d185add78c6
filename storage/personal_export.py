"""Everything stored about one person, as one JSON document (the GDPR's right of access)."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    AuditEventRow,
    BotStateRow,
    ChannelEditorRow,
    ChannelRow,
    ConsentCheckConsentRow,
    ConsentCheckRow,
    ConsentRow,
    DocumentationRoundRow,
    EvidenceFileRow,
    OutboxRow,
    PersonRow,
    RemovalTaskRow,
)
from storage.personal_copies import Copies, find_copies, message_copy, name_pattern
from storage.personal_data import Target, conversations_of, state_keys_of


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


async def export(
    session: AsyncSession, target: Target, *, register_exports: Sequence[str] = ()
) -> dict[str, Any]:
    """Everything stored about the target, as JSON-ready data: their own rows, and every copy
    of their name elsewhere (issue 24; the same search as erasure, storage.personal_copies).
    `register_exports` are the stored register CSVs of older versions (counted: each holds the
    whole register)."""
    if target.kind == "consent":
        pattern = name_pattern(
            [c.subject for c in target.consents] + [c.guardian for c in target.consents]
        )
        channels = {c.channel_id for c in target.consents}
        return {
            "consent_subject": [await _consent(session, c) for c in target.consents],
            "copies": await _copies(session, pattern, channels, register_exports),
        }
    people = []
    for person in target.people:
        data = await _person(session, person)
        pattern = name_pattern([person.name, person.email])
        data["copies"] = await _copies(session, pattern, None, ())
        people.append(data)
    return {"people": people}


async def _copies(
    session: AsyncSession,
    pattern: re.Pattern[str] | None,
    channel_ids: Collection[int] | None,
    register_exports: Sequence[str],
) -> dict[str, Any]:
    """Where else the name is: checks, removal tasks, messages, dialog states, audit details."""
    copies = await find_copies(session, pattern, channel_ids=channel_ids) if pattern else Copies()
    return {
        "consent_checks": [
            {
                "id": c.id,
                "channel_id": c.channel_id,
                "checked_at": _iso(c.checked_at),
                "outcome": c.outcome,
                "answers": c.answers,
                "missing": c.missing,
            }
            for c in copies.checks
        ],
        "removal_tasks": [{"id": t.id, "details": t.details} for t in copies.removal_tasks],
        "messages": [message_copy(m) for m in copies.messages],
        "dialog_states": [s.key for s in copies.states],
        "audit_events": [_event(e) for e in copies.audit],
        "stored_register_exports": len(register_exports),
    }


async def _person(session: AsyncSession, person: PersonRow) -> dict[str, Any]:
    pid = person.id
    conversations = await conversations_of(session, pid)
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
    theirs = OutboxRow.recipient_person_id == pid
    if person.email:  # e-mails to their address may name no person
        theirs = or_(theirs, func.lower(OutboxRow.recipient_address) == person.email.lower())
    outbox = await session.scalars(select(OutboxRow).where(theirs).order_by(OutboxRow.id))
    states = state_keys_of(conversations, person.teams_user_id)
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
