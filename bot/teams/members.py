"""People as Teams knows them: the directory, and where it has no answer, the turn's member
lookup (names and e-mail of people picked in a people picker)."""

from __future__ import annotations

from collections.abc import Mapping

from bot.integrations.directory import GraphDirectory
from bot.integrations.graph import (
    GraphClient,
)
from bot.teams.turn_recorder import CURRENT_TURN, member_of, tenant_of
from dialogs.services import Directory, DirectoryPerson, NoDirectory


class TeamsMembers:
    """The directory, and where it has no answer, Teams' own member lookup in this turn.

    Without Graph (local mode, the Agents Playground), a person picked in a people picker would
    stay "okänd person" until they write to the bot; Teams knows their name and e-mail.
    """

    def __init__(self, inner: Directory) -> None:
        self._inner = inner

    async def manager_of(self, tenant_id: str, aad_object_id: str) -> DirectoryPerson | None:
        """The directory's answer (Teams does not know managers)."""
        return await self._inner.manager_of(tenant_id, aad_object_id)

    async def person(self, tenant_id: str, aad_object_id: str) -> DirectoryPerson | None:
        """The directory's answer, else the member as Teams describes them."""
        found = await self._inner.person(tenant_id, aad_object_id)
        if found is not None:
            return found
        turn = CURRENT_TURN.get()
        if turn is None or tenant_of(turn.activity) != tenant_id:
            return None
        member = await member_of(turn, aad_object_id)
        if member is None or not (member.name or member.email):
            return None
        return DirectoryPerson(
            aad_object_id=aad_object_id,
            name=member.name or None,
            email=member.email or member.user_principal_name,
        )


def directory_for(clients: Mapping[str, GraphClient]) -> Directory:
    """Graph's directory of each tenant with a client (none: the form asks for the manager),
    with Teams' member lookup for names Graph does not give."""
    inner: Directory = GraphDirectory(clients) if clients else NoDirectory()
    return TeamsMembers(inner)
