"""Who may act and who may see: the roles a person has towards a channel, computed once.

Every card verb and typed command declares the roles that may run it (`Permit`); the wrapper
in `dialogs/guard.py` computes the clicker's roles here, from the database and the
organisation's files, before any card or text about the channel is built. Nothing in card data
says who someone is.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Flag, auto
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.communications_setting import communications_conversation
from dialogs.services import FlowServices
from domain.organisations import Organisation
from domain.policy import Policy
from storage.channels import EditorStatus, editors_of
from storage.models import ChannelRow, PersonRow


class Role(Flag):
    """A role towards a channel (or, without a channel, towards the organisation)."""

    EMPLOYEE = auto()  # any person of the channel's organisation
    REQUESTER = auto()  # asked for the channel
    MANAGER = auto()  # the channel's designated manager (R1, R2)
    DEPUTY = auto()  # a deputy configured for the channel's unit (R2)
    INVITED_EDITOR = auto()  # nominated, not yet answered (R3)
    EDITOR = auto()  # accepted editor (R3)
    FORMER_EDITOR = auto()  # declined or removed: no more than any employee
    ADMINISTRATION_ADMIN = auto()  # admin of the channel's administration
    ORGANISATION_ADMIN = auto()  # admin of the whole organisation
    COMMUNICATIONS = auto()  # the organisation's communications conversation (R7)


NOBODY = Role(0)
DECIDERS = Role.MANAGER | Role.DEPUTY
ADMINS = Role.ADMINISTRATION_ADMIN | Role.ORGANISATION_ADMIN
# Who takes part in a channel and so may see its plan, login reference and files (R5, R6, R7).
PARTICIPANTS = Role.REQUESTER | Role.MANAGER | Role.DEPUTY | Role.INVITED_EDITOR | Role.EDITOR
PLAN_READERS = PARTICIPANTS | Role.COMMUNICATIONS
# The order the permission table lists roles in, with their column names.
ROLE_NAMES: tuple[tuple[Role, str], ...] = (
    (Role.EMPLOYEE, "any employee"),
    (Role.REQUESTER, "requester"),
    (Role.MANAGER, "manager"),
    (Role.DEPUTY, "deputy"),
    (Role.INVITED_EDITOR, "invited editor"),
    (Role.EDITOR, "editor"),
    (Role.FORMER_EDITOR, "former editor"),
    (Role.ADMINISTRATION_ADMIN, "administration admin"),
    (Role.ORGANISATION_ADMIN, "organisation admin"),
    (Role.COMMUNICATIONS, "communications conversation"),
)


def describe(roles: Role) -> str:
    """The roles in words, in the table's order ("nobody" for none)."""
    names = [name for role, name in ROLE_NAMES if role in roles]
    return ", ".join(names) if names else "nobody"


@dataclass(frozen=True)
class Permit:
    """Who may run a verb or command, and who sees the channel's plan, login and files.

    `may` is checked against the roles towards the channel the data names; `may_new` where
    the data names no channel (a form that creates one, or a form shown again). `never`
    removes roles that `may` would let in: R2, nobody decides their own request. `own` means
    the row the data names (an invitation) must be the person's own.
    """

    may: Role
    sees: Role = NOBODY
    may_new: Role = NOBODY
    never: Role = NOBODY
    own: bool = False
    # Help, cancel and the language: anyone who writes, even before Teams said who they are.
    anyone: bool = False
    rules: str = ""
    summary: str = ""

    def allows(self, roles: Role, *, has_subject: bool) -> bool:
        """Tells whether someone with these roles may act."""
        if self.anyone:
            return True
        if roles & self.never:
            return False
        return bool(roles & (self.may if has_subject else self.may_new))


def is_deputy(policy: Policy, channel: ChannelRow, person: PersonRow) -> bool:
    """R2: a deputy of the channel's unit, when the unit was chosen from the policy's list
    (never from a text the requester typed)."""
    return (
        channel.unit_source == "policy"
        and person.aad_object_id is not None
        and person.aad_object_id in policy.deputies_for(channel.unit)
    )


def conversation_key(conversation_id: str | None) -> str:
    """A Teams channel conversation without its thread suffix (";messageid=...")."""
    return (conversation_id or "").split(";", 1)[0]


def organisation_roles(organisation: Organisation | None, person: PersonRow) -> Role:
    """The roles a person has without any channel: employee, and admin where configured."""
    if organisation is None:
        return NOBODY
    roles = Role.EMPLOYEE
    if organisation.is_organisation_admin(person.aad_object_id):
        roles |= Role.ORGANISATION_ADMIN
    elif organisation.administered_by(person.aad_object_id):
        roles |= Role.ADMINISTRATION_ADMIN
    return roles


async def channel_roles(
    session: AsyncSession,
    services: FlowServices,
    channel: ChannelRow,
    person: PersonRow,
    *,
    conversation_id: str | None = None,
) -> Role:
    """Every role the person has towards the channel (NOBODY for another organisation's)."""
    organisation = services.organisation_of(person.tenant_id)
    if (
        organisation is None
        or channel.organisation != organisation.slug
        or channel.tenant_id != person.tenant_id
    ):
        return NOBODY
    roles = Role.EMPLOYEE
    if channel.requester_person_id == person.id:
        roles |= Role.REQUESTER
    if channel.manager_person_id == person.id:
        roles |= Role.MANAGER
    if is_deputy(services.policy_for(channel), channel, person):
        roles |= Role.DEPUTY
    roles |= await _editor_roles(session, channel.id, person.id)
    if organisation.is_organisation_admin(person.aad_object_id):
        roles |= Role.ORGANISATION_ADMIN
    elif any(
        a.slug == channel.administration
        for a in organisation.administered_by(person.aad_object_id)
    ):
        roles |= Role.ADMINISTRATION_ADMIN
    if conversation_id and await _is_communications(session, services, channel, conversation_id):
        roles |= Role.COMMUNICATIONS
    return roles


async def _editor_roles(session: AsyncSession, channel_id: int, person_id: int) -> Role:
    statuses = {
        e.editor.status
        for e in await editors_of(session, channel_id, include_removed=True)
        if e.person.id == person_id
    }
    roles = NOBODY
    if EditorStatus.ACCEPTED in statuses:
        roles |= Role.EDITOR
    if EditorStatus.NOMINATED in statuses:
        roles |= Role.INVITED_EDITOR
    if statuses & {EditorStatus.DECLINED, EditorStatus.REMOVED} and not roles:
        roles |= Role.FORMER_EDITOR
    return roles


async def _is_communications(
    session: AsyncSession, services: FlowServices, channel: ChannelRow, conversation_id: str
) -> bool:
    """R7: the click comes from the channel's organisation's communications conversation."""
    picked = await communications_conversation(
        session, services.organisations, channel.organisation
    )
    return bool(picked) and conversation_key(picked) == conversation_key(conversation_id)


async def viewer_roles(
    session: AsyncSession,
    services: FlowServices,
    channel: ChannelRow,
    viewer: PersonRow | None,
    **where: Any,
) -> Role:
    """The roles of whoever a card is built for (NOBODY for no one)."""
    if viewer is None:
        return NOBODY
    return await channel_roles(session, services, channel, viewer, **where)
