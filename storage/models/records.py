"""Records the flows keep (R11, R12): documentation rounds and their files, evidence files,
deletion decisions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base


class DocumentationRoundRow(Base):
    """One half-yearly documentation of a channel (R12): who, when, what files."""

    __tablename__ = "documentation_rounds"
    __table_args__ = (Index("ix_documentation_rounds_channel", "channel_id", "due_date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    due_date: Mapped[date]
    completed_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    completed_at: Mapped[datetime]
    note: Mapped[str | None] = mapped_column(Text)
    package_file_key: Mapped[str | None] = mapped_column(String(512))
    package_sha256: Mapped[str | None] = mapped_column(String(64))


class DocumentationFileRow(Base):
    """A screenshot (or PDF) kept as a record of a documentation round (R12)."""

    __tablename__ = "documentation_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(
        ForeignKey("documentation_rounds.id", ondelete="CASCADE"), index=True
    )
    file_key: Mapped[str] = mapped_column(String(512))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    start_page: Mapped[bool] = mapped_column(default=False)


class EvidenceFileRow(Base):
    """A file kept as a record of a decision: a signed consent form (R10), a capture before
    a removal or deletion (R11), a closing export or final screenshot (R13)."""

    __tablename__ = "evidence_files"
    __table_args__ = (Index("ix_evidence_files_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # "consent", "removal_task", "deletion", "closing"
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int] = mapped_column(Integer)
    # "consent_form", "capture", "export", "screenshot"
    purpose: Mapped[str] = mapped_column(String(32))
    file_key: Mapped[str] = mapped_column(String(512))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    uploaded_at: Mapped[datetime]


class DeletionDecisionRow(Base):
    """A decision before deleting an image, post or comment (R11), and its capture."""

    __tablename__ = "deletion_decisions"
    __table_args__ = (Index("ix_deletion_decisions_channel", "channel_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    # "image" | "post" | "comment" | "channel"
    kind: Mapped[str] = mapped_column(String(16))
    description: Mapped[str | None] = mapped_column(Text)
    covered: Mapped[bool] = mapped_column(default=False)
    # "delete" | "capture_first" | "keep"
    outcome: Mapped[str] = mapped_column(String(16))
    # "decided" | "captured" | "done"
    status: Mapped[str] = mapped_column(String(16), default="decided")
    created_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
