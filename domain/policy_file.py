"""Reading a policy file (`KANALKOLLEN_POLICY`, or an organisation's file): TOML to `Policy`, every
key and type checked, the checks of RULES.md's numbers; a wrong key or value raises
`PolicyError` naming the key."""

from __future__ import annotations

import dataclasses
import tomllib
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.policy import (
    CONSENT_USES,
    CULLING_KINDS,
    CULLING_RULES,
    PACKAGE_FORMATS,
    AnswersPolicy,
    ConsentPolicy,
    DocumentationPolicy,
    Policy,
    PolicyError,
    RecordsPolicy,
    deployment_problems,
)

_T = TypeVar("_T")


def _coerce(key: str, annotation: Any, value: Any) -> Any:
    """Checks one value against its declared type and returns it (ints widen to floats)."""
    if dataclasses.is_dataclass(annotation) and isinstance(annotation, type):
        if not isinstance(value, dict):
            raise PolicyError(f"Policy key '{key}' must be a table.")
        return _build(annotation, value, prefix=f"{key}.")
    origin = typing.get_origin(annotation)
    if origin in (tuple, list):
        (item_type, *_) = typing.get_args(annotation)
        if not isinstance(value, list):
            raise PolicyError(f"Policy key '{key}' must be a list.")
        items = [_coerce(f"{key}[{i}]", item_type, item) for i, item in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(annotation) if a is not type(None)]
        if value is None:
            return None
        return _coerce(key, options[0], value)
    if annotation is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if annotation is int and isinstance(value, bool):
        raise PolicyError(f"Policy key '{key}' must be an integer, not {value!r}.")
    if isinstance(annotation, type) and not isinstance(value, annotation):
        raise PolicyError(
            f"Policy key '{key}' must be of type {annotation.__name__}, not {value!r}."
        )
    return value


def _build(cls: type[_T], data: dict[str, Any], prefix: str = "") -> _T:
    """Builds a policy dataclass from a TOML table, refusing unknown keys."""
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    for key in data:
        if key not in known:
            raise PolicyError(f"Unknown policy key '{prefix}{key}'.")
    for item in dataclasses.fields(cls):  # type: ignore[arg-type]
        required = (
            item.default is dataclasses.MISSING and item.default_factory is dataclasses.MISSING
        )
        if required and item.name not in data:
            raise PolicyError(f"Policy key '{prefix}{item.name}' is required.")
    values = {key: _coerce(f"{prefix}{key}", hints[key], value) for key, value in data.items()}
    return cls(**values)


def _replaced(current: Any, data: Mapping[str, Any], prefix: str) -> Any:
    """Returns a copy of a policy dataclass with the table's keys replaced, refusing unknown
    keys; a nested table replaces only the keys it names, a list replaces the whole list."""
    hints = typing.get_type_hints(type(current))
    known = {f.name for f in dataclasses.fields(current)}
    changes: dict[str, Any] = {}
    for key, value in data.items():
        if key not in known:
            raise PolicyError(f"Unknown policy key '{prefix}{key}'.")
        annotation = hints[key]
        if dataclasses.is_dataclass(annotation) and isinstance(value, dict):
            changes[key] = _replaced(getattr(current, key), value, prefix=f"{prefix}{key}.")
        else:
            changes[key] = _coerce(f"{prefix}{key}", annotation, value)
    return dataclasses.replace(current, **changes)


def policy_from_table(data: Mapping[str, Any]) -> Policy:
    """Builds a policy from a parsed TOML table; raises PolicyError naming the wrong key."""
    policy = _build(Policy, dict(data))
    _check(policy)
    return policy


def with_overrides(policy: Policy, data: Mapping[str, Any]) -> Policy:
    """Returns the policy with the values of a TOML table put over it, checked like a file.

    Keys that the table does not name keep the policy's value; e.g. `{"registry":
    {"mailbox": ...}}` changes the mailbox only and keeps `registry.administration`.
    """
    changed: Policy = _replaced(policy, data, prefix="")
    _check(changed)
    return changed


def parse_policy(text: str) -> Policy:
    """Parses a policy from TOML text; raises PolicyError naming the wrong key."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"The policy file is not valid TOML: {exc}.") from exc
    return policy_from_table(data)


def load_policy(path: Path | None, *, deployed: bool = False) -> Policy:
    """Loads the policy file, or the defaults when no file is configured.

    `deployed` (a bot that talks to real Teams, not local mode) also refuses example values
    that would send real work to nobody (`deployment_problems`).
    """
    if path is None:
        policy = Policy()
    else:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise PolicyError(f"Cannot read the policy file {path}: {exc.strerror}.") from exc
        try:
            policy = parse_policy(text)
        except PolicyError as error:  # the file and the key, as an organisation file says
            raise PolicyError(f"{path}: {error}") from None
        policy = with_answers_folder(policy, path.parent)
    if deployed and (problems := deployment_problems(policy)):
        raise PolicyError(" ".join(problems))
    return policy


def with_answers_folder(policy: Policy, base: Path) -> Policy:
    """Resolves `answers.extra_dir` against the policy file's folder and checks its files."""
    from domain.answers.extra import ExtraError, read_additions, shipped_keys

    if not policy.answers.extra_dir:
        return policy
    folder = (base / policy.answers.extra_dir).resolve()
    try:
        read_additions(folder, shipped_keys())
    except ExtraError as error:
        raise PolicyError(f"Policy key 'answers.extra_dir': {error}") from None
    return dataclasses.replace(policy, answers=AnswersPolicy(extra_dir=str(folder)))


def _check(policy: Policy) -> None:
    """Refuses values that parse but make no sense."""
    if policy.language.default not in ("", "sv", "en"):
        raise PolicyError('Policy key \'language.default\' must be "sv", "en" or empty.')
    d = policy.delivery
    if d.max_attempts < 1:
        raise PolicyError("Policy key 'delivery.max_attempts' must be at least 1.")
    for name in (
        "backoff_base_seconds",
        "lease_seconds",
        "per_conversation_per_second",
        "per_tenant_per_second",
    ):
        if getattr(d, name) <= 0:
            raise PolicyError(f"Policy key 'delivery.{name}' must be greater than 0.")
    if d.batch_size < 1:
        raise PolicyError("Policy key 'delivery.batch_size' must be at least 1.")
    c = policy.channels
    if c.min_editors < 2:
        # R3 is a floor a municipality may raise, never lower.
        raise PolicyError("Policy key 'channels.min_editors' must be at least 2 (R3).")
    if c.max_editors < c.min_editors:
        raise PolicyError("Policy key 'channels.max_editors' must be at least min_editors.")
    if c.approval_reminder_days < 1:
        raise PolicyError("Policy key 'channels.approval_reminder_days' must be at least 1.")
    if not 1 <= c.documentation_interval_months <= 6:
        # R12: at least every half year.
        raise PolicyError(
            "Policy key 'channels.documentation_interval_months' must be between 1 and 6 (R12)."
        )
    if "@" not in policy.registry.mailbox:
        raise PolicyError("Policy key 'registry.mailbox' must be an e-mail address.")
    _check_documentation(policy.documentation)
    _check_consent(policy.consent)
    _check_records(policy.records)


def _check_consent(consent: ConsentPolicy) -> None:
    """Refuses consent values (R9, R10) that parse but make no sense."""
    if not 13 <= consent.guardian_age <= 18:
        raise PolicyError("Policy key 'consent.guardian_age' must be from 13 to 18 (R9).")
    unknown = [use for use in consent.written_consent_for if use not in CONSENT_USES]
    if unknown or "several_contexts" not in consent.written_consent_for:
        raise PolicyError(
            "Policy key 'consent.written_consent_for' must include \"several_contexts\" (R10) "
            f"and may list only {', '.join(CONSENT_USES)}."
        )
    for name in (
        "post_address_reminder_days",
        "removal_reminder_days",
        "removal_escalate_after_days",
    ):
        if getattr(consent, name) < 1:
            raise PolicyError(f"Policy key 'consent.{name}' must be at least 1.")


def _check_records(records: RecordsPolicy) -> None:
    """Refuses culling rules (R11) that parse but make no sense."""
    kinds = [line.kind for line in records.culling]
    for line in records.culling:
        if line.kind not in CULLING_KINDS:
            raise PolicyError(
                f"Policy key 'records.culling' has kind {line.kind!r}; "
                f"known kinds are {', '.join(CULLING_KINDS)}."
            )
        if line.rule not in CULLING_RULES:
            raise PolicyError(
                f"Policy key 'records.culling' has rule {line.rule!r} for {line.kind}; "
                f"known rules are {', '.join(CULLING_RULES)}."
            )
    if len(set(kinds)) != len(kinds):
        raise PolicyError("Policy key 'records.culling' lists a kind more than once.")
    if records.closing_reminder_days < 1:
        raise PolicyError("Policy key 'records.closing_reminder_days' must be at least 1.")
    if records.package_format not in PACKAGE_FORMATS:
        raise PolicyError(
            "Policy key 'records.package_format' must be "
            + " or ".join(f'"{name}"' for name in PACKAGE_FORMATS)
            + f", not {records.package_format!r}."
        )
    for name in ("submission_agreement", "reference_code"):
        value = getattr(records, name)
        if len(value) > 200 or any(ord(c) < 32 for c in value) or value != value.strip():
            raise PolicyError(
                f"Policy key 'records.{name}' must be one line of at most 200 characters "
                "without leading or trailing spaces."
            )
    if not 1 <= records.max_attachment_mb <= 100:
        raise PolicyError("Policy key 'records.max_attachment_mb' must be from 1 to 100.")
    if not 1 <= records.link_days <= 365:
        raise PolicyError("Policy key 'records.link_days' must be from 1 to 365.")


def _check_documentation(doc: DocumentationPolicy) -> None:
    """Refuses documentation reminder values (R12) that parse but make no sense."""
    for name in (
        "reminder_days_before",
        "repeat_every_days",
        "escalate_after_days",
        "max_reminders_per_sweep",
        "abandoned_capture_days",
        "max_captures_per_person_per_day",
        "max_captures_per_channel_per_day",
    ):
        if getattr(doc, name) < 1:
            raise PolicyError(f"Policy key 'documentation.{name}' must be at least 1.")
    days = doc.office_days
    if not days or len(set(days)) != len(days) or not all(0 <= day <= 6 for day in days):
        raise PolicyError(
            "Policy key 'documentation.office_days' must list distinct weekdays "
            "from 0 (Monday) to 6 (Sunday)."
        )
    if not 0 <= doc.office_start_hour <= 23:
        raise PolicyError("Policy key 'documentation.office_start_hour' must be from 0 to 23.")
    if not 1 <= doc.office_end_hour <= 24:
        raise PolicyError("Policy key 'documentation.office_end_hour' must be from 1 to 24.")
    if doc.office_start_hour >= doc.office_end_hour:
        raise PolicyError(
            "Policy key 'documentation.office_start_hour' must be before office_end_hour."
        )
    try:
        ZoneInfo(doc.time_zone)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise PolicyError(
            f"Policy key 'documentation.time_zone' must be a time zone such as "
            f"Europe/Stockholm, not {doc.time_zone!r}."
        ) from exc
