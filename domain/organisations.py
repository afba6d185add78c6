"""Organisations and their administrations (förvaltningar): who a deployment serves.

An organisation is one or more Entra tenants with its own policy; inside it, administrations
put their own values over that policy (registry and records mailboxes, admins, deputies,
templates, channel numbers, reminder intervals). A channel belongs to one administration.

Configuration (`KANALKOLLEN_ORGANISATIONS`, a folder): one TOML file per organisation. A file is
a policy file (domain.policy) with `slug`, `name` and `tenant_ids` on top and one
`[[administrations]]` table per administration:

    slug = "goteborg"
    name = "Göteborgs Stad"
    tenant_ids = ["7e57c0de-0000-4000-8000-000000000001"]
    admins = ["..."]                    # organisation admins: see every administration

    [registry]
    mailbox = "sociala.medier@goteborg.example"

    [[administrations]]
    slug = "sof"
    name = "Skol- och fritidsförvaltningen"
    departments = ["Skol- och fritidsförvaltningen", "SoF"]
    admins = ["..."]                    # see this administration only
    [administrations.documentation]
    records_mailbox = "registrator.sof@goteborg.example"

An organisation without `[[administrations]]` has one, "default", named after its
`registry.administration`. Today's single policy file (`KANALKOLLEN_POLICY`) is the same thing:
`single_organisation`. The files are read by domain.organisation_file; a wrong file stops
start-up naming the file and the key (`OrganisationError`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from domain.policy import Deputy, Policy, PolicyError

# The organisation and administration that a single-policy deployment (and the data from
# before organisations existed: migration 0008) belongs to.
DEFAULT_SLUG = "default"

# URL-safe: the slug is a path segment of the public list (/registry/{slug}).
_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
# What an administration may set over its organisation's policy. Delivery, office hours, time
# zone, language, answers and the consent rules (R9, R10) are the organisation's alone: they
# pace one tenant's traffic or state the law, the same for every administration.
OVERRIDABLE: Mapping[str, tuple[str, ...]] = {
    "registry": ("mailbox",),
    "templates": ("plan_template_url", "consent_template_url", "records_plan_url"),
    "channels": (
        "min_editors",
        "max_editors",
        "approval_reminder_days",
        "documentation_interval_months",
    ),
    "documentation": (
        "records_mailbox",
        "reminder_days_before",
        "repeat_every_days",
        "escalate_after_days",
    ),
    "consent": (
        "post_address_reminder_days",
        "removal_reminder_days",
        "removal_escalate_after_days",
    ),
    # Each administration (its board) has its own records management plan.
    "records": (
        "culling",
        "closing_reminder_days",
        # Issue 27: each administration delivers its own records packages.
        "package_format",
        "submission_agreement",
        "reference_code",
        "max_attachment_mb",
        "link_days",
    ),
}


class OrganisationError(PolicyError):
    """An organisation file, or the set of them, does not make a valid configuration."""


def department_key(department: str) -> str:
    """The form departments are compared in: case and runs of spaces do not count."""
    return " ".join(department.casefold().split())


@dataclass(frozen=True)
class Administration:
    """An administration (förvaltning) of an organisation, with its effective policy.

    `policy` is the organisation's policy with this administration's values put over it; its
    `admins` and `deputies` are the organisation's followed by the administration's own.
    """

    slug: str
    name: str
    policy: Policy
    departments: tuple[str, ...] = ()
    # The administration's own admins and deputies (the organisation's are in `policy` too).
    admins: tuple[str, ...] = ()
    deputies: tuple[Deputy, ...] = ()

    def matches(self, department: str) -> bool:
        """Tells whether a Graph `department` string names this administration."""
        wanted = department_key(department)
        return any(department_key(d) == wanted for d in self.departments)


@dataclass(frozen=True)
class Organisation:
    """One organisation: its tenants, its policy and its administrations (at least one)."""

    slug: str
    name: str
    tenant_ids: frozenset[str]
    policy: Policy
    administrations: tuple[Administration, ...]
    # The file it was read from ("" for the single policy), for messages.
    source: str = field(default="", compare=False)

    @property
    def admins(self) -> tuple[str, ...]:
        """The organisation admins (AAD object ids): they see every administration."""
        return self.policy.admins

    @property
    def default_administration(self) -> Administration | None:
        """The administration when there is only one, else None."""
        return self.administrations[0] if len(self.administrations) == 1 else None

    def administration(self, slug: str) -> Administration | None:
        """The administration with this slug."""
        return next((a for a in self.administrations if a.slug == slug), None)

    def administration_for(self, department: str | None) -> Administration | None:
        """The administration a requester's Graph department belongs to.

        The only administration when there is one; None when the department is unknown or
        matches none (the form then asks).
        """
        if (only := self.default_administration) is not None:
            return only
        if not department:
            return None
        return next((a for a in self.administrations if a.matches(department)), None)

    def serves(self, tenant_id: str | None) -> bool:
        """Tells whether activities from this tenant belong to this organisation."""
        if not self.tenant_ids:
            return True
        return tenant_id is not None and tenant_id.strip().lower() in self.tenant_ids

    def is_organisation_admin(self, aad_object_id: str | None) -> bool:
        """Tells whether the person is an admin of the whole organisation."""
        return aad_object_id is not None and aad_object_id in self.admins

    def administered_by(self, aad_object_id: str | None) -> tuple[Administration, ...]:
        """The administrations whose channels an admin sees: all for an organisation admin."""
        if aad_object_id is None:
            return ()
        if self.is_organisation_admin(aad_object_id):
            return self.administrations
        return tuple(a for a in self.administrations if aad_object_id in a.admins)


@dataclass(frozen=True)
class Organisations:
    """Every organisation of a deployment; slugs and tenant ids are unique among them."""

    organisations: tuple[Organisation, ...]

    def __post_init__(self) -> None:
        _check_unique(self.organisations)

    def __iter__(self) -> Iterator[Organisation]:
        return iter(self.organisations)

    def __len__(self) -> int:
        return len(self.organisations)

    @property
    def default(self) -> Organisation | None:
        """The organisation when there is only one, else None."""
        return self.organisations[0] if len(self.organisations) == 1 else None

    @property
    def tenant_ids(self) -> frozenset[str]:
        """Every tenant id some organisation names."""
        return frozenset().union(*(o.tenant_ids for o in self.organisations))

    @cached_property
    def _by_slug(self) -> dict[str, Organisation]:
        return {o.slug: o for o in self.organisations}

    @cached_property
    def _by_tenant(self) -> dict[str, Organisation]:
        return {t: o for o in self.organisations for t in o.tenant_ids}

    def by_slug(self, slug: str) -> Organisation | None:
        """The organisation with this slug (a dict lookup: sweeps ask once per channel)."""
        return self._by_slug.get(slug)

    def for_tenant(self, tenant_id: str | None) -> Organisation | None:
        """The organisation a tenant belongs to; None for a tenant nobody serves.

        A lookup, not a scan: every turn asks. An organisation without tenant ids (the single
        policy without ALLOWED_TENANTS) serves every tenant.
        """
        if tenant_id is not None and (found := self._by_tenant.get(tenant_id.strip().lower())):
            return found
        return next((o for o in self.organisations if not o.tenant_ids), None)

    def policy_of_tenant(self, tenant_id: str | None, default: Policy) -> Policy:
        """The policy of the tenant's organisation; `default` for a tenant nobody serves."""
        found = self.for_tenant(tenant_id)
        return found.policy if found is not None else default


def single_organisation(
    policy: Policy,
    *,
    tenant_ids: Iterable[str] = (),
    slug: str = DEFAULT_SLUG,
    name: str = "",
) -> Organisations:
    """Today's one policy (`KANALKOLLEN_POLICY`) as the deployment's only organisation.

    `tenant_ids` is the allow-list (`ALLOWED_TENANTS`); empty serves every tenant, as today.
    It has one administration, "default", named after `registry.administration`.
    """
    where = "the policy (KANALKOLLEN_POLICY)"
    check_slug(where, "slug", slug)
    # The allow-list has always taken any string; files are stricter (GUIDs).
    tenants = frozenset(t.strip().lower() for t in tenant_ids if t.strip())
    administration = Administration(DEFAULT_SLUG, policy.registry.administration, policy)
    organisation = Organisation(
        slug, name or policy.registry.administration, tenants, policy, (administration,)
    )
    return Organisations((organisation,))


def _check_unique(organisations: tuple[Organisation, ...]) -> None:
    """Refuses a slug or a tenant id that two organisations share."""
    slugs: dict[str, str] = {}
    tenants: dict[str, str] = {}
    for organisation in organisations:
        where = organisation.source or organisation.slug
        if not organisation.tenant_ids and len(organisations) > 1:
            raise OrganisationError(f"{where}: tenant_ids: must name at least one tenant.")
        other = slugs.setdefault(organisation.slug, where)
        if other != where:
            raise OrganisationError(
                f"{where}: slug: {organisation.slug!r} is already the slug of {other}."
            )
        for tenant in sorted(organisation.tenant_ids):
            owner = tenants.setdefault(tenant, where)
            if owner != where:
                raise OrganisationError(
                    f"{where}: tenant_ids: {tenant} already belongs to {owner}."
                )


def check_slug(where: str, key: str, value: Any) -> str:
    """A URL-safe slug (a path segment of /registry/{slug}), else OrganisationError."""
    if not isinstance(value, str) or not _SLUG.match(value):
        raise OrganisationError(
            f"{where}: {key}: must be a URL-safe slug (a-z, 0-9 and -, at most 63), not {value!r}."
        )
    return value
