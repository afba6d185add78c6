"""Who is acting: the person behind a card click, re-read from the database."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from cards.i18n import Texts
from domain.policy import Policy
from storage.models import ChannelRow, PersonRow


@dataclass(frozen=True)
class Actor:
    """The person acting in this turn, where they are, and their language."""

    person: PersonRow
    texts: Texts
    conversation_id: str | None = None
    activity_id: str | None = None  # the card they clicked, when they clicked one


async def load_actor(
    session: AsyncSession,
    person_id: int | None,
    texts: Texts,
    conversation_id: str | None = None,
    activity_id: str | None = None,
) -> Actor | None:
    """Re-reads the acting person; None when Teams did not say who it is."""
    if person_id is None:
        return None
    person = await session.get(PersonRow, person_id)
    if person is None:
        return None
    return Actor(person, texts, conversation_id, activity_id)


def may_decide(policy: Policy, channel: ChannelRow, person: PersonRow) -> bool:
    """R2: only the designated manager, or a deputy configured for the unit, decides."""
    if channel.tenant_id != person.tenant_id:
        return False
    if channel.manager_person_id == person.id:
        return True
    return person.aad_object_id in policy.deputies_for(channel.unit)
