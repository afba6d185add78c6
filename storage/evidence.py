"""Evidence files: uploads kept as the record of a decision (R10 forms, R11 captures, R13)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import EvidenceFileRow


def add_evidence(
    session: AsyncSession,
    *,
    subject_type: str,
    subject_id: int,
    purpose: str,
    file_key: str,
    filename: str,
    content_type: str,
    size: int,
    sha256: str,
    uploaded_by_person_id: int | None,
    uploaded_at: datetime,
) -> EvidenceFileRow:
    """Adds one stored file to the session's transaction, tied to its subject."""
    row = EvidenceFileRow(
        subject_type=subject_type,
        subject_id=subject_id,
        purpose=purpose,
        file_key=file_key,
        filename=filename,
        content_type=content_type,
        size=size,
        sha256=sha256,
        uploaded_by_person_id=uploaded_by_person_id,
        uploaded_at=uploaded_at,
    )
    session.add(row)
    return row


async def evidence_of(
    session: AsyncSession, subject_type: str, subject_id: int, purpose: str | None = None
) -> list[EvidenceFileRow]:
    """The files kept for a subject (optionally of one purpose), oldest first."""
    query = (
        select(EvidenceFileRow)
        .where(EvidenceFileRow.subject_type == subject_type)
        .where(EvidenceFileRow.subject_id == subject_id)
        .order_by(EvidenceFileRow.id)
    )
    if purpose is not None:
        query = query.where(EvidenceFileRow.purpose == purpose)
    return list((await session.execute(query)).scalars())


def add_upload(
    session: AsyncSession,
    upload: Mapping[str, Any],
    *,
    subject_type: str,
    subject_id: int,
    purpose: str,
    by: int | None,
    at: datetime,
) -> EvidenceFileRow:
    """Keeps a file stored from the chat (a StoredUpload as a dict) for its subject."""
    return add_evidence(
        session,
        subject_type=subject_type,
        subject_id=subject_id,
        purpose=purpose,
        file_key=str(upload["key"]),
        filename=str(upload["filename"]),
        content_type=str(upload["content_type"]),
        size=int(upload["size"]),
        sha256=str(upload["sha256"]),
        uploaded_by_person_id=by,
        uploaded_at=at,
    )
