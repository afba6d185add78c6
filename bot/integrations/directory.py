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
from dialogs.services import DirectoryPerson

log = logging.getLogger(__name__)


def _person(user: GraphUser) -> DirectoryPerson:
    return DirectoryPerson(
        aad_object_id=user.id,
        name=user.display_name or None,
        email=user.mail or user.user_principal_name,
        enabled=user.account_enabled is not False,
        department=user.department,
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
