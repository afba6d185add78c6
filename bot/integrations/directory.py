"""The organisation's directory through Microsoft Graph, for the flows (R2)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import aiohttp

from bot.integrations.graph import (
    GraphClient,
    GraphConfig,
    GraphError,
    GraphUnavailable,
    GraphUser,
)
from bot.settings import EVERY_ORGANISATION, Settings
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
    """Asks Graph; when Graph fails the flows fall back to asking the user (no answer = None).

    It holds one Graph client per tenant it may ask: one tenant (GRAPH_TENANT_ID), or every
    organisation's (GRAPH_TENANT_ID=organizations). A person of any other tenant is never
    looked up: one organisation's directory never answers for another's people.
    """

    def __init__(self, clients: Mapping[str, GraphClient]) -> None:
        self._clients = {tenant.strip().lower(): client for tenant, client in clients.items()}

    def _client(self, tenant_id: str) -> GraphClient | None:
        return self._clients.get(tenant_id.strip().lower())

    async def manager_of(self, tenant_id: str, aad_object_id: str) -> DirectoryPerson | None:
        """Returns a person's manager from /users/{id}/manager."""
        graph = self._client(tenant_id)
        if graph is None:
            return None
        try:
            user = await graph.get_manager(aad_object_id)
        except (GraphError, GraphUnavailable) as error:
            log.warning(
                "Graph manager lookup failed (%s): the form asks for the manager",
                type(error).__name__,
            )
            return None
        return _person(user) if user is not None else None

    async def person(self, tenant_id: str, aad_object_id: str) -> DirectoryPerson | None:
        """Returns a person's name and e-mail from /users/{id}."""
        graph = self._client(tenant_id)
        if graph is None:
            return None
        try:
            user = await graph.get_user(aad_object_id)
        except (GraphError, GraphUnavailable) as error:
            log.warning("Graph user lookup failed (%s)", type(error).__name__)
            return None
        return _person(user) if user is not None else None


def _config(settings: Settings, tenant_id: str) -> GraphConfig:
    return GraphConfig(
        tenant_id=tenant_id,
        client_id=settings.graph_client_id,
        client_secret=settings.graph_client_secret,
        base_url=settings.graph_base_url,
        authority_host=settings.graph_authority_host,
        ca_file=settings.graph_ca_file or None,
    )


@dataclass(frozen=True)
class GraphClients:
    """The Graph clients of a process: the one tenant's (also the Graph mail transport's), or
    one per organisation's tenant (GRAPH_TENANT_ID=organizations); none without Graph."""

    by_tenant: Mapping[str, GraphClient]
    # The client of the one tenant GRAPH_TENANT_ID names (None with `organizations`).
    single: GraphClient | None = None

    async def aclose(self) -> None:
        """Closes every client once."""
        for client in {id(c): c for c in (*self.by_tenant.values(), self.single) if c}.values():
            await client.aclose()


def graph_clients(
    settings: Settings, http: aiohttp.ClientSession, tenants: Iterable[str]
) -> GraphClients:
    """The Graph clients the settings describe.

    With GRAPH_TENANT_ID=organizations, one per tenant of the organisations (`tenants`): the
    app registration is multi-tenant and each tenant's admin has consented to it; each client
    gets its token from its own tenant's authority. Otherwise the one tenant's client.
    """
    if not settings.graph_configured:
        return GraphClients({})
    if settings.graph_tenant_id == EVERY_ORGANISATION:
        return GraphClients(
            {tenant: GraphClient(_config(settings, tenant), http) for tenant in sorted(tenants)}
        )
    single = GraphClient(_config(settings, settings.graph_tenant_id), http)
    return GraphClients({settings.graph_tenant_id: single}, single)
