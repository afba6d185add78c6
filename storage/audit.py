"""The append-only audit log, written in the same transaction as the change it records."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEventRow

SYSTEM_ACTOR = "system"


def record_event(
    session: AsyncSession,
    *,
    at: datetime,
    action: str,
    subject_type: str,
    subject_id: str | int,
    actor: str = SYSTEM_ACTOR,
    actor_person_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEventRow:
    """Adds an audit event to the session's transaction."""
    event = AuditEventRow(
        at=at,
        actor=actor,
        actor_person_id=actor_person_id,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        details=details or {},
    )
    session.add(event)
    return event


async def events_for(
    session: AsyncSession, subject_type: str, subject_id: str | int
) -> list[AuditEventRow]:
    """Returns the audit events of one subject, oldest first."""
    rows = await session.execute(
        select(AuditEventRow)
        .where(AuditEventRow.subject_type == subject_type)
        .where(AuditEventRow.subject_id == str(subject_id))
        .order_by(AuditEventRow.id)
    )
    return list(rows.scalars())
