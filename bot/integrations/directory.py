"""The organisation's directory through Microsoft Graph, for the flows (R2)."""

from __future__ import annotations

import logging

import aiohttp

from bot.integrations.graph import (
    GraphClient,
    GraphConfig,
    GraphError,
    GraphUnavailable,
    GraphUser,
)
from bot.settings import Settings
from bot.teams.turn_recorder import CURRENT_TURN, member_of, tenant_of
from dialogs.services import Directory, DirectoryPerson, NoDirectory

log = logging.getLogger(__name__)


def _person(user: GraphUser) -> DirectoryPerson:
    return DirectoryPerson(
        aad_object_id=user.id,
        name=user.display_name or None,
        email=user.mail or user.user_principal_name,
        enabled=user.account_enabled is not False,
    )


class GraphDirectory:
    """Asks Graph; when Graph fails the flows fall back to asking the user (no answer = None)."""

    def __init__(self, graph: GraphClient, tenant_id: str) -> None:
        self._graph = graph
        self._tenant_id = tenant_id

    async def manager_of(self, tenant_id: str, aad_object_id: str) -> DirectoryPerson | None:
        """Returns a person's manager from /users/{id}/manager."""
        if tenant_id != self._tenant_id:
            return None
        try:
            user = await self._graph.get_manager(aad_object_id)
        except (GraphError, GraphUnavailable) as error:
            log.warning(
                "Graph manager lookup failed (%s): the form asks for the manager",
                type(error).__name__,
            )
            return None
        return _person(user) if user is not None else None

    async def person(self, tenant_id: str, aad_object_id: str) -> DirectoryPerson | None:
        """Returns a person's name and e-mail from /users/{id}."""
        if tenant_id != self._tenant_id:
            return None
        try:
            user = await self._graph.get_user(aad_object_id)
        except (GraphError, GraphUnavailable) as error:
            log.warning("Graph user lookup failed (%s)", type(error).__name__)
            return None
        return _person(user) if user is not None else None


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


def graph_client(settings: Settings, http: aiohttp.ClientSession) -> GraphClient | None:
    """The Graph client the settings describe, or None when Graph is not configured."""
    if not settings.graph_configured:
        return None
    return GraphClient(
        GraphConfig(
            tenant_id=settings.graph_tenant_id,
            client_id=settings.graph_client_id,
            client_secret=settings.graph_client_secret,
            base_url=settings.graph_base_url,
            authority_host=settings.graph_authority_host,
            ca_file=settings.graph_ca_file or None,
        ),
        http,
    )


def directory_for(settings: Settings, graph: GraphClient | None) -> Directory:
    """Graph's directory when configured (else none: the form asks for the manager), with
    Teams' member lookup for names Graph does not give."""
    inner: Directory = GraphDirectory(graph, settings.graph_tenant_id) if graph else NoDirectory()
    return TeamsMembers(inner)
