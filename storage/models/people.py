"""People and where Teams reaches them: their rows and their conversation references."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base


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
