"""Channels (R2-R8, R13): the channel, its editors, the posted copies of its cards, its closing."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from domain.organisations import DEFAULT_SLUG
from storage.models.base import SLUG_LENGTH, Base


class ChannelRow(Base):
    """A social media channel, from request to closing (see domain.lifecycle)."""

    __tablename__ = "channels"
    __table_args__ = (
        Index("ix_channels_status", "status"),
        Index("ix_channels_documentation_due", "status", "next_documentation_due"),
        # The documentation sweep of one organisation, or of one of its administrations.
        Index("ix_channels_organisation_due", "organisation", "status", "next_documentation_due"),
        Index(
            "ix_channels_administration_due",
            "organisation",
            "administration",
            "status",
            "next_documentation_due",
        ),
        Index("ix_channels_requester", "requester_person_id"),
        Index("ix_channels_manager", "manager_person_id"),
        Index("ix_channels_address", "platform", "address"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    # The organisation (its slug) and the administration the channel belongs to; every scoped
    # query filters on them (storage.organisations.in_scope). Rows from before organisations
    # existed are in "default" (migration 0008), as is a row stored without them.
    organisation: Mapped[str] = mapped_column(
        String(SLUG_LENGTH), default=DEFAULT_SLUG, server_default=DEFAULT_SLUG
    )
    administration: Mapped[str] = mapped_column(
        String(SLUG_LENGTH), default=DEFAULT_SLUG, server_default=DEFAULT_SLUG
    )
    status: Mapped[str] = mapped_column(String(32))
    # Bumped by every submit and decision; a card showing an older version is stale.
    version: Mapped[int] = mapped_column(Integer, default=1)
    platform: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    unit: Mapped[str] = mapped_column(String(120))
    # R2: "policy" when chosen from the policy's units (its deputies decide too), "form"
    # when typed; None for channels from before (typed).
    unit_source: Mapped[str | None] = mapped_column(String(16))
    purpose: Mapped[str] = mapped_column(Text)
    plan: Mapped[dict[str, Any]]
    # R6: where the login is kept (a reference such as a vault entry), never the password.
    login_reference: Mapped[str] = mapped_column(String(300))
    # None for channels imported from the list the city kept before Kanalkollen.
    requester_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    source: Mapped[str] = mapped_column(String(16), default="request", server_default="request")
    manager_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    manager_source: Mapped[str] = mapped_column(String(16))
    plan_file_key: Mapped[str | None] = mapped_column(String(512))
    plan_sha256: Mapped[str | None] = mapped_column(String(64))
    submitted_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    decided_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    decision_comment: Mapped[str | None] = mapped_column(Text)
    manager_has_login_access: Mapped[bool] = mapped_column(default=False)
    address: Mapped[str | None] = mapped_column(String(300))
    start_date: Mapped[date | None]
    next_documentation_due: Mapped[date | None]
    # R3: set while fewer than the policy's minimum editors have accepted after a change.
    understaffed_since: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ChannelEditorRow(Base):
    """A person nominated as editor of a channel, and their answer (R3)."""

    __tablename__ = "channel_editors"
    __table_args__ = (
        UniqueConstraint("channel_id", "person_id", name="uq_channel_editors_person"),
        Index("ix_channel_editors_person", "person_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    status: Mapped[str] = mapped_column(String(16))
    nominated_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    nominated_at: Mapped[datetime]
    responded_at: Mapped[datetime | None]
    # R3 editor changes: who removed the editor and when (status "removed").
    removed_at: Mapped[datetime | None]
    removed_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    # The editor this nomination replaces (a removal or an unreachable editor).
    replaces_editor_id: Mapped[int | None] = mapped_column(ForeignKey("channel_editors.id"))


class CardCopyRow(Base):
    """Where a card about a subject was posted, so every copy can be updated."""

    __tablename__ = "card_copies"
    __table_args__ = (
        UniqueConstraint("conversation_id", "activity_id", name="uq_card_copies_activity"),
        Index("ix_card_copies_subject", "subject_type", "subject_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int] = mapped_column(Integer)
    card: Mapped[str] = mapped_column(String(32))
    conversation_id: Mapped[str] = mapped_column(String(512))
    activity_id: Mapped[str] = mapped_column(String(256))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    locale: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime]


class ChannelClosingRow(Base):
    """Closing a channel (R13): the checklist, the package and the manager's confirmation."""

    __tablename__ = "channel_closings"
    __table_args__ = (Index("ix_channel_closings_channel", "channel_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    # "open" | "submitted" | "confirmed" | "cancelled"
    status: Mapped[str] = mapped_column(String(16), default="open")
    started_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    started_at: Mapped[datetime]
    # Where the platform's full export is filed, when it is not uploaded.
    export_reference: Mapped[str | None] = mapped_column(String(300))
    package_file_key: Mapped[str | None] = mapped_column(String(512))
    package_sha256: Mapped[str | None] = mapped_column(String(64))
    submitted_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    submitted_at: Mapped[datetime | None]
    confirmed_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    confirmed_at: Mapped[datetime | None]
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
