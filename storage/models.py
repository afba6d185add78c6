"""SQLAlchemy 2.0 models: the database is the source of truth for people, state and work."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from domain.organisations import DEFAULT_SLUG

# Organisation and administration slugs are URL-safe and at most 63 characters.
SLUG_LENGTH = 63


class UtcDateTime(TypeDecorator[datetime]):
    """A time-zone-aware timestamp, stored in UTC and read back aware on every backend.

    SQLite has no time zones: SQLAlchemy drops the offset when writing and hands back naive
    values, which then cannot be compared with the clock's aware `now`, and an offset other
    than UTC would be stored as wall time and sort wrongly. Converting to UTC on the way in and
    attaching UTC on the way out makes SQLite behave like PostgreSQL's `timestamptz`.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: only time-zone-aware times are stored")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base of every Kanalkollen table."""

    type_annotation_map: ClassVar[dict[Any, Any]] = {
        date: Date,
        datetime: UtcDateTime(),
        dict[str, Any]: JSON,
    }


class PersonRow(Base):
    """A Teams user the bot has met, keyed by tenant and AAD object id."""

    __tablename__ = "people"
    __table_args__ = (
        UniqueConstraint("tenant_id", "aad_object_id", name="uq_people_tenant_aad"),
        Index("ix_people_email", "tenant_id", "email"),
        # R3: the reachability sweep looks for editors marked undeliverable lately.
        Index("ix_people_undeliverable", "undeliverable_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    # None for people known only by e-mail (imported) until they first talk to the bot.
    aad_object_id: Mapped[str | None] = mapped_column(String(64))
    teams_user_id: Mapped[str | None] = mapped_column(String(256))
    name: Mapped[str | None] = mapped_column(String(256))
    email: Mapped[str | None] = mapped_column(String(320))
    locale: Mapped[str | None] = mapped_column(String(16))
    # The language the person chose with "svenska" / "english" ("sv", "en"); None = not chosen.
    language: Mapped[str | None] = mapped_column(String(8))
    undeliverable_at: Mapped[datetime | None]
    undeliverable_reason: Mapped[str | None] = mapped_column(String(256))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ConversationReferenceRow(Base):
    """Where the bot can reach a person or a team channel proactively."""

    __tablename__ = "conversation_references"
    __table_args__ = (Index("ix_conversation_references_person", "person_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(512), unique=True)
    conversation_type: Mapped[str | None] = mapped_column(String(32))
    tenant_id: Mapped[str | None] = mapped_column(String(64), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    service_url: Mapped[str] = mapped_column(String(512))
    channel_id: Mapped[str] = mapped_column(String(64))
    reference: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime]


class AuditEventRow(Base):
    """One append-only audit record: who did what to which subject, and when."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime]
    actor_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL")
    )
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str] = mapped_column(String(64))
    subject_id: Mapped[str] = mapped_column(String(128))
    details: Mapped[dict[str, Any]]


class OutboxRow(Base):
    """A proactive message or e-mail waiting to be delivered, or its delivery record."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "due_at"),
        Index("ix_outbox_lease", "status", "lease_until"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    tenant_id: Mapped[str | None] = mapped_column(String(64))
    recipient_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL")
    )
    conversation_id: Mapped[str | None] = mapped_column(String(512))
    recipient_address: Mapped[str | None] = mapped_column(String(320))
    payload: Mapped[dict[str, Any]]
    dedupe_key: Mapped[str | None] = mapped_column(String(256), unique=True)
    due_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class BotStateRow(Base):
    """One bot-state document (conversation or user state) with its eTag."""

    __tablename__ = "bot_state"

    key: Mapped[str] = mapped_column(String(1024), primary_key=True)
    etag: Mapped[str] = mapped_column(String(64))
    data: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]


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


class AppSettingRow(Base):
    """A setting chosen at run time by an admin (e.g. the communications conversation)."""

    __tablename__ = "app_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    updated_at: Mapped[datetime]


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


class CaptureRow(Base):
    """A capture of one of a channel's public pages for a documentation round (R12), queued
    and claimed with a lease like the outbox; `result` holds the stored files or the reason."""

    __tablename__ = "captures"
    __table_args__ = (
        Index("ix_captures_due", "status", "created_at"),
        Index("ix_captures_round", "channel_id", "round_due"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    round_due: Mapped[date] = mapped_column(Date)
    # The editor to show it to (None for the capture taken when the round opens).
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    url: Mapped[str] = mapped_column(String(300))
    start_page: Mapped[bool] = mapped_column(default=False)
    # "pending" | "running" | "done" | "failed"
    status: Mapped[str] = mapped_column(String(16))
    dedupe_key: Mapped[str | None] = mapped_column(String(256), unique=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    lease_until: Mapped[datetime | None]
    result: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
