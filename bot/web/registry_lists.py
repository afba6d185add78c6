"""The public lists (R8) of a deployment's organisations: which organisation and administration
a request or an export names, and their channels in registry order.

A deployment with one organisation has one list, as before organisations. With several, each
has its own list (`/registry/{slug}`), and the files of the whole deployment (`/registry.json`,
`/registry.csv`, `registry export` without `--organisation`) hold every organisation's list
with an organisation column.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.web.registry_render import (
    OrganisationEntry,
    platform_labeller,
    render_csv,
    render_csv_by_organisation,
)
from cards.i18n import Texts
from domain.organisations import Administration, Organisation, Organisations
from domain.registry import (
    FilterError,
    OrganisationList,
    PublicChannel,
    RegistryFilter,
    in_registry_order,
    swedish_key,
    to_json,
    to_json_by_organisation,
)
from storage.registry import public_channels, public_counts

FORMATS = ("csv", "json")


class UnknownOrganisation(LookupError):
    """A slug that names no organisation of the deployment (or none where one is needed)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown organisation"


class UnknownAdministration(FilterError):
    """An administration filter that names no administration of its organisation."""


@dataclass(frozen=True)
class Scope:
    """One organisation's list, or the part of it one administration is responsible for."""

    organisation: Organisation
    administration: Administration | None = None

    @property
    def names(self) -> str | Mapping[str, str]:
        """The administration's name shown in each row: by the row's administration slug."""
        only = self.organisation.default_administration
        if only is not None:
            # One administration: every row names it, as the list did before organisations.
            return only.name
        return {a.slug: a.name for a in self.organisation.administrations}

    @property
    def responsible(self) -> str:
        """Who the page says is responsible: the administration, or the organisation."""
        chosen = self.administration or self.organisation.default_administration
        return chosen.name if chosen is not None else self.organisation.name

    @property
    def mailbox(self) -> str:
        """Where questions about this list go (an administration may have its own mailbox)."""
        return (self.administration or self.organisation).policy.registry.mailbox


def organisation_of(organisations: Organisations, slug: str | None) -> Organisation:
    """The organisation a slug names; without a slug, the only one. Raises UnknownOrganisation."""
    if slug is None:
        if organisations.default is None:
            raise UnknownOrganisation(
                f"there are several organisations; name one of {_slugs(organisations)}"
            )
        return organisations.default
    found = organisations.by_slug(slug)
    if found is None:
        raise UnknownOrganisation(
            f"no organisation has the slug {slug!r}; known: {_slugs(organisations)}"
        )
    return found


def scope_of(organisation: Organisation, administration: str | None) -> Scope:
    """The list of an organisation, or of one of its administrations (by slug)."""
    if administration is None:
        return Scope(organisation)
    found = organisation.administration(administration)
    if found is None:
        known = ", ".join(a.slug for a in organisation.administrations)
        raise UnknownAdministration(
            f"organisation {organisation.slug!r} has no administration {administration!r}; "
            f"known: {known}"
        )
    return Scope(organisation, found)


async def read_list(
    session: AsyncSession, scope: Scope, wanted: RegistryFilter | None, texts: Texts
) -> list[PublicChannel]:
    """The public channels of a scope in registry order, platforms named as the catalog does."""
    found = await public_channels(
        session,
        scope.names,
        wanted,
        organisation=scope.organisation.slug,
        administration=scope.administration.slug if scope.administration else None,
    )
    return in_registry_order(found, platform_labeller(texts))


def in_name_order(organisations: Organisations) -> list[Organisation]:
    """The organisations in Swedish alphabetical order of their names."""
    return sorted(organisations, key=lambda o: (swedish_key(o.name), o.slug))


async def read_every_list(
    session: AsyncSession,
    organisations: Organisations,
    wanted: RegistryFilter | None,
    texts: Texts,
) -> list[OrganisationList]:
    """Every organisation's list, organisations in name order.

    An administration filter needs its organisation (slugs are unique only inside one).
    """
    if wanted is not None and wanted.administration is not None:
        raise UnknownAdministration(
            "an administration filter needs its organisation: use the organisation's list"
        )
    return [
        OrganisationList(o.slug, o.name, await read_list(session, Scope(o), wanted, texts))
        for o in in_name_order(organisations)
    ]


async def organisation_entries(
    session: AsyncSession, organisations: Organisations
) -> list[OrganisationEntry]:
    """Each organisation with its number of public channels, in name order."""
    counts = await public_counts(session)
    return [
        OrganisationEntry(o.slug, o.name, counts.get(o.slug, 0))
        for o in in_name_order(organisations)
    ]


def list_file(channels: Sequence[PublicChannel], fmt: str, texts: Texts) -> str:
    """One list as `csv` or `json`."""
    if fmt == "json":
        return to_json(channels, platform_labeller(texts))
    return render_csv(channels, texts)


def every_list_file(lists: Sequence[OrganisationList], fmt: str, texts: Texts) -> str:
    """Every organisation's list as `csv` or `json`, with an organisation column."""
    if fmt == "json":
        return to_json_by_organisation(lists, platform_labeller(texts))
    return render_csv_by_organisation(lists, texts)


def _slugs(organisations: Organisations) -> str:
    return ", ".join(o.slug for o in organisations)
