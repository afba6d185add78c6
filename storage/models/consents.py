"""Consents (R9, R10): the consent register, the checks before publishing, removal tasks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base


class ConsentRow(Base):
    """One consent in the consent register (R9, R10): whose, for what, in which form."""

    __tablename__ = "consents"
    __table_args__ = (Index("ix_consents_channel", "channel_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    # The person in the picture: a name or the unit's own reference (no more than needed).
    subject: Mapped[str] = mapped_column(String(200))
    # R9: under the policy's age the guardian's consent is what counts.
    minor: Mapped[bool] = mapped_column(default=False)
    guardian: Mapped[str | None] = mapped_column(String(200))
    # "one_post" | "several_contexts" (R10)
    scope: Mapped[str] = mapped_column(String(32))
    # "oral" | "written" (R10)
    form: Mapped[str] = mapped_column(String(16))
    # Written consent: the signed form as an evidence file, or where it is filed.
    document_reference: Mapped[str | None] = mapped_column(String(300))
    # "active" | "withdrawn"
    status: Mapped[str] = mapped_column(String(16), default="active")
    recorded_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    recorded_at: Mapped[datetime]
    withdrawn_at: Mapped[datetime | None]
    withdrawn_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    withdrawal_note: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


POST_PENDING = "outcome = 'publish' AND post_recorded_at IS NULL AND post_reminders = 0"


class ConsentCheckRow(Base):
    """One consent check before publishing (R9, R10), its outcome and the post's address."""

    __tablename__ = "consent_checks"
    __table_args__ = (
        Index("ix_consent_checks_channel", "channel_id"),
        # The post-address reminder sweep reads the posts still without an address, oldest
        # first; a partial index keeps that small whatever the register's size.
        Index(
            "ix_consent_checks_post",
            "checked_at",
            "id",
            postgresql_where=text(POST_PENDING),
            sqlite_where=text(POST_PENDING),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    answers: Mapped[dict[str, Any]]
    # "publish" | "stop"
    outcome: Mapped[str] = mapped_column(String(16))
    missing: Mapped[dict[str, Any]] = mapped_column(default=dict)
    checked_at: Mapped[datetime]
    post_address: Mapped[str | None] = mapped_column(String(300))
    post_recorded_at: Mapped[datetime | None]
    post_reminded_at: Mapped[datetime | None]
    post_reminders: Mapped[int] = mapped_column(Integer, default=0)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ConsentCheckConsentRow(Base):
    """Which consents a check (and so its post) relies on."""

    __tablename__ = "consent_check_consents"
    __table_args__ = (Index("ix_consent_check_consents_consent", "consent_id"),)

    check_id: Mapped[int] = mapped_column(
        ForeignKey("consent_checks.id", ondelete="CASCADE"), primary_key=True
    )
    consent_id: Mapped[int] = mapped_column(
        ForeignKey("consents.id", ondelete="CASCADE"), primary_key=True
    )


class RemovalTaskRow(Base):
    """After a withdrawal (R9, R11): capture the post, then remove it and confirm."""

    __tablename__ = "removal_tasks"
    __table_args__ = (
        UniqueConstraint("consent_id", "check_id", name="uq_removal_tasks_post"),
        Index("ix_removal_tasks_status", "status", "created_at"),
        Index("ix_removal_tasks_channel", "channel_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consent_id: Mapped[int] = mapped_column(ForeignKey("consents.id"))
    check_id: Mapped[int] = mapped_column(ForeignKey("consent_checks.id"))
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    post_address: Mapped[str | None] = mapped_column(String(300))
    # "open" | "captured" | "done"
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime]
    captured_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    completed_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    last_reminded_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
