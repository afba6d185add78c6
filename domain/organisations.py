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
`single_organisation`. A wrong file stops start-up naming the file and the key
(`OrganisationError`).
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from domain.policy import Deputy, Policy, PolicyError, deployment_problems
from domain.policy_file import policy_from_table, with_answers_folder, with_overrides

# The organisation and administration that a single-policy deployment (and the data from
# before organisations existed: migration 0008) belongs to.
DEFAULT_SLUG = "default"

# URL-safe: the slug is a path segment of the public list (/registry/{slug}).
_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_TENANT_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_IDENTITY_KEYS = ("slug", "name", "tenant_ids", "administrations")
_ADMINISTRATION_KEYS = ("slug", "name", "departments", "admins", "deputies")
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
    "records": ("culling", "closing_reminder_days"),
}
_POLICY_KEY = re.compile(r"^(Unknown policy key|Policy key) '([^']*)'[ .]*")


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
    _check_slug(where, "slug", slug)
    # The allow-list has always taken any string; files are stricter (GUIDs).
    tenants = frozenset(t.strip().lower() for t in tenant_ids if t.strip())
    administration = Administration(DEFAULT_SLUG, policy.registry.administration, policy)
    organisation = Organisation(
        slug, name or policy.registry.administration, tenants, policy, (administration,)
    )
    return Organisations((organisation,))


def load_organisations(folder: Path, *, deployed: bool = False) -> Organisations:
    """Reads every `*.toml` of the folder, one organisation each (in file-name order).

    `deployed` also refuses example values that reach nobody, as `load_policy` does.
    """
    try:
        paths = sorted(p for p in folder.iterdir() if p.suffix == ".toml" and p.is_file())
    except OSError as exc:
        raise OrganisationError(
            f"Cannot read the organisations folder {folder}: {exc.strerror}."
        ) from exc
    if not paths:
        raise OrganisationError(f"The organisations folder {folder} has no *.toml file.")
    organisations = Organisations(tuple(read_organisation(path) for path in paths))
    if deployed:
        _refuse_examples(organisations)
    return organisations


def read_organisation(path: Path) -> Organisation:
    """Reads one organisation file; raises OrganisationError naming the file and the key."""
    where = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise OrganisationError(f"{where}: cannot be read: {exc.strerror}.") from exc
    except tomllib.TOMLDecodeError as exc:
        raise OrganisationError(f"{where}: not valid TOML: {exc}.") from exc
    return organisation_from_table(data, where=where, base=path.parent)


def organisation_from_table(
    data: Mapping[str, Any], *, where: str, base: Path | None = None
) -> Organisation:
    """Builds an organisation from a parsed file; `where` names the file in errors."""
    slug = _check_slug(where, "slug", data.get("slug"))
    name = _text(where, "name", data.get("name"))
    tenants = _tenant_ids(where, data.get("tenant_ids"), required=True)
    policy_table = {k: v for k, v in data.items() if k not in _IDENTITY_KEYS}
    with _located(where):
        policy = policy_from_table(policy_table)
        if base is not None:
            policy = with_answers_folder(policy, base)
    tables = data.get("administrations", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise OrganisationError(f"{where}: administrations: must be [[administrations]] tables.")
    administrations = tuple(
        _administration(where, f"administrations[{i}]", policy, table)
        for i, table in enumerate(tables)
    ) or (Administration(DEFAULT_SLUG, policy.registry.administration, policy),)
    _check_administrations(where, administrations)
    return Organisation(slug, name, tenants, policy, administrations, source=where)


def _administration(
    where: str, key: str, policy: Policy, table: Mapping[str, Any]
) -> Administration:
    """Builds one administration: its identity and its values over the organisation's."""
    slug = _check_slug(where, f"{key}.slug", table.get("slug"))
    name = _text(where, f"{key}.name", table.get("name"))
    departments = table.get("departments", [])
    if not isinstance(departments, list) or not all(
        isinstance(d, str) and d.strip() for d in departments
    ):
        raise OrganisationError(f"{where}: {key}.departments: must be a list of names.")
    overrides: dict[str, Any] = {}
    for section, value in table.items():
        if section in _ADMINISTRATION_KEYS:
            continue
        overrides[section] = _overridable(where, f"{key}.{section}", section, value)
    with _located(where, prefix=f"{key}."):
        own = with_overrides(Policy(), {k: table[k] for k in ("admins", "deputies") if k in table})
        effective = with_overrides(policy, overrides)
    effective = dataclasses.replace(
        effective,
        admins=_distinct(policy.admins + own.admins),
        deputies=_distinct(policy.deputies + own.deputies),
        registry=dataclasses.replace(effective.registry, administration=name),
    )
    return Administration(slug, name, effective, tuple(departments), own.admins, own.deputies)


def _overridable(where: str, key: str, section: str, value: Any) -> Any:
    """Refuses an administration key that only the organisation may set, by name."""
    allowed = OVERRIDABLE.get(section)
    if allowed is None:
        if hasattr(Policy(), section):
            raise OrganisationError(
                f"{where}: {key}: is the organisation's; an administration may set "
                f"{_overridable_keys()}."
            )
        raise OrganisationError(f"{where}: {key}: unknown key.")
    if not isinstance(value, dict):
        raise OrganisationError(f"{where}: {key}: must be a table.")
    for name in value:
        if name not in allowed:
            known = hasattr(getattr(Policy(), section), name)
            reason = "is the organisation's" if known else "unknown key"
            raise OrganisationError(
                f"{where}: {key}.{name}: {reason}; an administration may set "
                f"{_overridable_keys()}."
            )
    return value


def _overridable_keys() -> str:
    keys = [f"{s}.{k}" for s, names in OVERRIDABLE.items() for k in names]
    return ", ".join(["admins", "deputies", *keys])


def _check_administrations(where: str, administrations: tuple[Administration, ...]) -> None:
    """Refuses two administrations with one slug, or one department for two of them."""
    slugs: set[str] = set()
    departments: dict[str, str] = {}
    for i, administration in enumerate(administrations):
        if administration.slug in slugs:
            raise OrganisationError(
                f"{where}: administrations[{i}].slug: {administration.slug!r} is used twice."
            )
        slugs.add(administration.slug)
        for department in administration.departments:
            other = departments.setdefault(department_key(department), administration.slug)
            if other != administration.slug:
                raise OrganisationError(
                    f"{where}: administrations[{i}].departments: {department!r} already "
                    f"belongs to administration {other!r}."
                )


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


def _refuse_examples(organisations: Organisations) -> None:
    """Refuses example mailboxes in any organisation or administration of a deployment."""
    for organisation in organisations:
        for administration in organisation.administrations:
            if problems := deployment_problems(administration.policy):
                raise OrganisationError(
                    f"{organisation.source}: administrations {administration.slug!r}: "
                    + " ".join(problems)
                )


def _check_slug(where: str, key: str, value: Any) -> str:
    if not isinstance(value, str) or not _SLUG.match(value):
        raise OrganisationError(
            f"{where}: {key}: must be a URL-safe slug (a-z, 0-9 and -, at most 63), not {value!r}."
        )
    return value


def _text(where: str, key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise OrganisationError(f"{where}: {key}: is required (a display name).")
    return value.strip()


def _tenant_ids(where: str, value: Any, *, required: bool) -> frozenset[str]:
    """Entra tenant ids (GUIDs), compared in lower case."""
    if value is None:
        value = []
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise OrganisationError(f"{where}: tenant_ids: must be a list of tenant ids.")
    tenants = [t.strip().lower() for t in value]
    if required and not tenants:
        raise OrganisationError(f"{where}: tenant_ids: must name at least one tenant.")
    for tenant in tenants:
        if not _TENANT_ID.match(tenant):
            raise OrganisationError(
                f"{where}: tenant_ids: {tenant!r} is not an Entra tenant id (a GUID)."
            )
    return frozenset(tenants)


def _distinct(items: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(dict.fromkeys(items))


class _located:
    """Turns a PolicyError into an OrganisationError naming the file and the full key."""

    def __init__(self, where: str, *, prefix: str = "") -> None:
        self._where = where
        self._prefix = prefix

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, error: BaseException | None, trace: object) -> None:
        if not isinstance(error, PolicyError) or isinstance(error, OrganisationError):
            return
        message = str(error)
        match = _POLICY_KEY.match(message)
        if match is None:
            raise OrganisationError(f"{self._where}: {message}") from None
        rest = message[match.end() :] or "is not valid."
        if match.group(1).startswith("Unknown"):
            rest = "unknown key."
        key = f"{self._prefix}{match.group(2)}"
        raise OrganisationError(f"{self._where}: {key}: {rest}") from None
