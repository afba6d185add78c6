"""What the channel flows need from the outside, passed in through their constructors."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from microsoft_agents.hosting.core import TurnContext
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cards.i18n import Texts
from domain.clock import Clock
from domain.organisations import Organisation, Organisations, single_organisation
from domain.plan import PlanSections
from domain.policy import Policy
from storage.models import ChannelRow


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
    ) -> tuple[str, str]:
        """Builds and stores the zip package (R12, or "closing" for R13); its key and SHA-256."""
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

    def policy_for(self, channel: ChannelRow) -> Policy:
        """The effective policy of a channel's administration (its rules and mailboxes).

        Falls back to the deployment's policy for a slug no configuration names.
        """
        organisation = self.organisations.by_slug(channel.organisation)
        administration = (
            organisation.administration(channel.administration) if organisation else None
        )
        return administration.policy if administration is not None else self.policy
