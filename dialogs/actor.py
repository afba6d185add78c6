"""Who is acting: the person behind a card click, re-read from the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cards.i18n import Texts
from dialogs.permissions import is_deputy
from dialogs.services import Directory, FlowServices
from domain.organisations import Organisation, Organisations
from domain.policy import Policy
from storage.audit import record_event
from storage.channels import nominate
from storage.models import (
    ChannelEditorRow,
    ChannelRow,
    PersonRow,
)
from storage.people import ensure_person


@dataclass(frozen=True)
class Actor:
    """The person acting in this turn, where they are, and their language."""

    person: PersonRow
    texts: Texts
    conversation_id: str | None = None
    activity_id: str | None = None  # the card they clicked, when they clicked one
    # The organisation of the person's tenant; None only where no organisations were given.
    organisation: Organisation | None = None

    @property
    def scope(self) -> str | None:
        """The organisation slug every channel this person touches must have (None: any)."""
        return self.organisation.slug if self.organisation is not None else None

    def may_see(self, channel: ChannelRow) -> bool:
        """Tells whether the channel belongs to the actor's organisation."""
        return self.scope is None or channel.organisation == self.scope


async def load_actor(
    session: AsyncSession,
    person_id: int | None,
    texts: Texts,
    conversation_id: str | None = None,
    activity_id: str | None = None,
    *,
    organisations: Organisations | None = None,
) -> Actor | None:
    """Re-reads the acting person; None when Teams did not say who it is.

    With `organisations`, the person's tenant gives their organisation; a tenant that no
    organisation serves gives no actor (nothing is allowed).
    """
    if person_id is None:
        return None
    person = await session.get(PersonRow, person_id)
    if person is None:
        return None
    organisation = None
    if organisations is not None:
        organisation = organisations.for_tenant(person.tenant_id)
        if organisation is None:
            return None
    return Actor(person, texts, conversation_id, activity_id, organisation)


def may_decide(
    policy: Policy, channel: ChannelRow, person: PersonRow, organisation: str | None = None
) -> bool:
    """R2: only the designated manager, or a deputy configured for the unit, decides.

    `policy` is the channel's administration's: its deputies are the organisation's and the
    administration's own, so a deputy of one administration decides only its channels.
    `organisation` is the person's: a channel of another organisation is never theirs.
    """
    if channel.tenant_id != person.tenant_id:
        return False
    if organisation is not None and channel.organisation != organisation:
        return False
    if channel.requester_person_id == person.id:
        return False  # R2: nobody decides their own request
    if channel.manager_person_id == person.id:
        return True
    return is_deputy(policy, channel, person)


def decides(services: FlowServices, channel: ChannelRow, person: PersonRow) -> bool:
    """R2 for a channel of an organisation: `may_decide` with the channel's administration's
    policy and the person's organisation (a tenant nobody serves decides nothing)."""
    organisation = services.organisation_of(person.tenant_id)
    if organisation is None:
        return False
    return may_decide(services.policy_for(channel), channel, person, organisation.slug)


def administers(services: FlowServices, channel: ChannelRow, person: PersonRow) -> bool:
    """Tells whether the person is an admin of the channel's administration, or an
    organisation admin of its organisation; an admin of another organisation never is."""
    organisation = services.organisation_of(person.tenant_id)
    if organisation is None or channel.organisation != organisation.slug:
        return False
    administered = organisation.administered_by(person.aad_object_id)
    return any(a.slug == channel.administration for a in administered)


def admins_for(
    services: FlowServices, tenant_id: str | None, channel: ChannelRow | None = None
) -> tuple[str, ...]:
    """The admins (AAD object ids) of the channel's administration, organisation admins
    first; without a channel, the organisation admins of the tenant's organisation."""
    organisation = services.organisation_of(tenant_id)
    if organisation is None:
        return ()
    if channel is None:
        return organisation.admins
    if channel.organisation != organisation.slug:
        return ()
    administration = organisation.administration(channel.administration)
    if administration is None:
        return organisation.admins
    return organisation.admins + tuple(
        a for a in administration.admins if a not in organisation.admins
    )


# Row ids are 32-bit integers on every database (PostgreSQL refuses a larger parameter).
MAX_ROW_ID = 2**31 - 1


def row_id(raw: object) -> int | None:
    """A row id from card data (a positive 32-bit integer, as text or number), else None."""
    if isinstance(raw, bool):
        return None
    text = str(raw).strip() if isinstance(raw, str | int) else ""
    if not text.isdigit() or len(text) > 10:
        return None
    value = int(text)
    return value if 0 < value <= MAX_ROW_ID else None


async def channel_from(
    session: AsyncSession, raw_id: object, *, organisation: str | None = None
) -> ChannelRow | None:
    """The channel a card's data names; None for anything that is not a known channel id.

    With `organisation` (the actor's), a channel of another organisation is not found either:
    a forged card with a guessed id learns nothing.
    """
    channel_id = row_id(raw_id)
    if channel_id is None:
        return None
    channel = await session.get(ChannelRow, channel_id)
    if channel is None or (organisation is not None and channel.organisation != organisation):
        return None
    return channel


async def known_person(
    session: AsyncSession,
    directory: Directory,
    tenant_id: str,
    aad_object_id: str,
    now: datetime,
) -> PersonRow:
    """A picked person, with name and e-mail from the directory when it knows them."""
    found = await directory.person(tenant_id, aad_object_id)
    return await ensure_person(
        session,
        tenant_id,
        aad_object_id,
        now,
        name=found.name if found else None,
        email=found.email if found else None,
    )


async def nominate_editor(
    session: AsyncSession, channel: ChannelRow, editor: PersonRow, actor: Actor, now: datetime
) -> ChannelEditorRow:
    """Nominates an editor (R3) and records it in the audit log."""
    nomination = await nominate(
        session, channel.id, editor.id, by_person_id=actor.person.id, now=now
    )
    record_event(
        session,
        at=now,
        action="editor.nominated",
        subject_type="channel",
        subject_id=channel.id,
        actor=actor.person.aad_object_id,
        actor_person_id=actor.person.id,
        details={"editor_id": nomination.id},
    )
    return nomination


def record_by(
    session: AsyncSession,
    actor: Actor,
    *,
    at: datetime,
    action: str,
    subject_type: str,
    subject_id: str | int,
    details: dict[str, Any] | None = None,
) -> None:
    """An audit event of something the acting person did, in the session's transaction."""
    record_event(
        session,
        at=at,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        actor=actor.person.aad_object_id or "",
        actor_person_id=actor.person.id,
        details=details,
    )
