"""The organisation's directory through Microsoft Graph, for the flows (R2)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

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


def graph_client(settings: Settings, http: aiohttp.ClientSession) -> GraphClient | None:
    """The Graph client of the one tenant the settings name (also the Graph mail transport's),
    or None when Graph is not configured or asks each organisation's tenant."""
    if not settings.graph_configured or settings.graph_tenant_id == EVERY_ORGANISATION:
        return None
    return GraphClient(_config(settings, settings.graph_tenant_id), http)


def graph_clients(
    settings: Settings,
    http: aiohttp.ClientSession,
    tenants: Iterable[str],
    single: GraphClient | None,
) -> dict[str, GraphClient]:
    """The Graph client of each tenant people are looked up in.

    With GRAPH_TENANT_ID=organizations, one per tenant of the organisations: the app
    registration is multi-tenant and each tenant's admin has consented to it; each client gets
    its token from its own tenant's authority. Otherwise the one tenant's `single` client.
    """
    if not settings.graph_configured:
        return {}
    if settings.graph_tenant_id != EVERY_ORGANISATION:
        return {settings.graph_tenant_id: single} if single is not None else {}
    return {tenant: GraphClient(_config(settings, tenant), http) for tenant in sorted(tenants)}
