"""Reading organisation files (KANALKOLLEN_ORGANISATIONS): one TOML file per organisation.

The model and the file format are in domain.organisations; this module reads a folder, checks
every key and builds the organisations. A wrong file raises OrganisationError naming the file
and the key.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from domain.organisations import (
    DEFAULT_SLUG,
    OVERRIDABLE,
    Administration,
    Organisation,
    OrganisationError,
    Organisations,
    check_slug,
    department_key,
)
from domain.policy import Policy, PolicyError, deployment_problems
from domain.policy_file import policy_from_table, with_answers_folder, with_overrides

_TENANT_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

_IDENTITY_KEYS = ("slug", "name", "tenant_ids", "administrations")

_ADMINISTRATION_KEYS = ("slug", "name", "departments", "admins", "deputies")

_POLICY_KEY = re.compile(r"^(Unknown policy key|Policy key) '([^']*)'[ .]*")


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
    slug = check_slug(where, "slug", data.get("slug"))
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
    slug = check_slug(where, f"{key}.slug", table.get("slug"))
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


def _refuse_examples(organisations: Organisations) -> None:
    """Refuses example mailboxes in any organisation or administration of a deployment."""
    for organisation in organisations:
        for administration in organisation.administrations:
            if problems := deployment_problems(administration.policy):
                raise OrganisationError(
                    f"{organisation.source}: administrations {administration.slug!r}: "
                    + " ".join(problems)
                )


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
