"""What the channel flows need from the outside, passed in through their constructors."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol, TypeVar

from microsoft_agents.hosting.core import TurnContext
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cards.i18n import Texts
from domain.clock import Clock
from domain.organisations import Organisation, Organisations, single_organisation
from domain.plan import PlanSections
from domain.policy import Policy, RecordsPolicy
from storage.models import ChannelRow
from storage.organisations import Scopes

T = TypeVar("T", bound=Hashable)


@dataclass(frozen=True)
class DirectoryPerson:
    """A person as the organisation's directory (Microsoft Graph) knows them."""

    aad_object_id: str
    name: str | None
    email: str | None
    enabled: bool = True
    # Graph's `department`: which administration a requester belongs to (None: unknown).
    department: str | None = None


class Directory(Protocol):
    """Looks people up in the organisation's directory; None when it has no answer."""

    async def manager_of(self, tenant_id: str, aad_object_id: str) -> DirectoryPerson | None:
        """Returns a person's manager (R2), or None when unknown or unreachable."""
        ...

    async def person(self, tenant_id: str, aad_object_id: str) -> DirectoryPerson | None:
        """Returns a person's name and e-mail, or None when unknown or unreachable."""
        ...


class NoDirectory:
    """Used when Graph is not configured: the form asks for the manager."""

    async def manager_of(self, tenant_id: str, aad_object_id: str) -> DirectoryPerson | None:
        """Returns None: there is no directory to ask."""
        return None

    async def person(self, tenant_id: str, aad_object_id: str) -> DirectoryPerson | None:
        """Returns None: there is no directory to ask."""
        return None


class Documents(Protocol):
    """Renders and stores the plan document and hands out signed, expiring links (R5)."""

    async def store_plan(
        self,
        texts: Texts,
        *,
        channel_name: str,
        platform: str,
        unit: str,
        purpose: str,
        plan: PlanSections,
        editors: tuple[str, ...],
        manager: str,
        requester: str,
        created_at: str,
    ) -> tuple[str, str]:
        """Renders the plan as .docx and stores it; returns its key and SHA-256."""
        ...

    async def store_file(
        self, data: bytes, *, kind: str, filename: str, content_type: str
    ) -> tuple[str, str]:
        """Stores a file the bot made (e.g. a CSV export); returns its key and SHA-256."""
        ...

    def link(self, key: str, ttl: timedelta) -> str:
        """Returns an unguessable, expiring URL for a stored file."""
        ...

    def route_link(self, path: str, ttl: timedelta) -> str:
        """Returns a signed, expiring URL to a route of the bot that makes a file when it is
        asked for (e.g. the consent register's CSV: streamed, never stored)."""
        ...


@dataclass(frozen=True)
class StoredUpload:
    """A file an editor sent in the chat, stored with its checksum (R12 screenshots)."""

    filename: str
    content_type: str
    key: str
    sha256: str
    size: int
    # Set for a capture Kanalkollen took itself (R12): what the package's index tells of it.
    source_url: str | None = None
    captured_at: str | None = None
    http_status: int | None = None


class Records(Protocol):
    """Takes files from the chat and builds documentation packages for the records (R12)."""

    async def collect(
        self, turn_context: TurnContext, *, archives: bool = False
    ) -> tuple[list[StoredUpload], list[tuple[str, str]]]:
        """Stores the message's acceptable files (ZIP too with `archives`); returns them and
        (filename, code) refusals."""
        ...

    async def package(
        self,
        *,
        channel_name: str,
        platform: str,
        unit: str,
        due: date,
        completed_by: str,
        completed_at: datetime,
        note: str | None,
        files: list[StoredUpload],
        start_page: str | None,
        filename: str,
        purpose: str = "documentation",
        address: str | None = None,
        period_start: date | None = None,
        administration: str = "",
        records: RecordsPolicy | None = None,
    ) -> tuple[str, str]:
        """Builds and stores the package (R12; "closing" R13, "capture" R11) in the format
        `records.package_format` names (an E-ARK SIP by default); its key and SHA-256."""
        ...


@dataclass(frozen=True)
class FlowServices:
    """Everything a channel flow needs; built once in create_app."""

    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    policy: Policy
    directory: Directory
    documents: Documents
    wake_delivery: Callable[[], None]
    records: Records | None = None
    # Wakes the capture worker; None when no browser was found (editors send screenshots).
    wake_capture: Callable[[], None] | None = None
    # Who the deployment serves; None: the policy as the only organisation (every tenant).
    organisations: Organisations = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.organisations is None:
            object.__setattr__(self, "organisations", single_organisation(self.policy))

    def organisation_of(self, tenant_id: str | None) -> Organisation | None:
        """The organisation a person's tenant belongs to; None for a tenant nobody serves."""
        return self.organisations.for_tenant(tenant_id)

    def policy_for(self, channel: ChannelRow | ChannelScope) -> Policy:
        """The effective policy of a channel's administration (its rules and mailboxes).

        Falls back to the deployment's policy for a slug no configuration names.
        """
        return self.policy_of(channel.organisation, channel.administration)

    def policy_of(self, organisation: str, administration: str) -> Policy:
        """The effective policy of an administration of an organisation, by slugs.

        Falls back to the deployment's policy for a slug no configuration names (start-up
        refuses data of such slugs: bot.assembly.check_organisations_in_use).
        """
        found = self.organisations.by_slug(organisation)
        unit = found.administration(administration) if found else None
        return unit.policy if unit is not None else self.policy

    def policy_among(self, channels: Sequence[ChannelRow]) -> Policy:
        """The policy a form listing several of a person's channels shows (its templates):
        their administration's when they share one, else their organisation's."""
        places = {(c.organisation, c.administration) for c in channels}
        if len(places) == 1:
            return self.policy_for(channels[0])
        organisations = {c.organisation for c in channels}
        found = (
            self.organisations.by_slug(organisations.pop()) if len(organisations) == 1 else None
        )
        return found.policy if found is not None else self.policy

    def policies(self) -> tuple[Policy, ...]:
        """Every administration's effective policy (the deployment's when none is configured).

        A sweep selects with the widest of their windows and then applies each channel's own
        (its administration's intervals, its organisation's time zone and office hours).
        """
        found = tuple(a.policy for o in self.organisations for a in o.administrations)
        return found or (self.policy,)

    def groups(self, value: Callable[[Policy], T]) -> list[tuple[T, Scopes | None]]:
        """The administrations grouped by one value of their policy, for a sweep to select
        each group with its own value: [(value, scopes)], scopes None for "every channel"
        when all administrations share the value (one query, as before organisations)."""
        return policy_groups(self.organisations, value)


def policy_groups(
    organisations: Organisations, value: Callable[[Policy], Hashable]
) -> list[tuple[Any, Scopes | None]]:
    """Every administration grouped by one value of its effective policy (FlowServices.groups):
    [(value, {organisation: its administrations in the group, None for all of them})], and
    scopes None when there is one group (every channel: no filter)."""
    grouped: dict[Hashable, dict[str, list[str]]] = {}
    for organisation in organisations:
        for administration in organisation.administrations:
            slugs = grouped.setdefault(value(administration.policy), {})
            slugs.setdefault(organisation.slug, []).append(administration.slug)
    if len(grouped) <= 1:
        return [(found, None) for found in grouped]
    sizes = {o.slug: len(o.administrations) for o in organisations}
    return [
        (
            found,
            {
                organisation: (None if len(names) == sizes[organisation] else frozenset(names))
                for organisation, names in slugs.items()
            },
        )
        for found, slugs in grouped.items()
    ]


class ChannelScope(Protocol):
    """Anything that names a channel's organisation and administration (a row, a sweep row)."""

    @property
    def organisation(self) -> str: ...

    @property
    def administration(self) -> str: ...
