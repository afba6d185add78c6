"""The new-channel request (R2, R3, R5, R6) and the channel's address (R8): validation rules.

Pure functions over the raw form answers; each error names its field and a catalog code, so
the form can be shown again with every error beside its field and the answers kept.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from urllib.parse import urlsplit

from domain.policy import ChannelPolicy


class Platform(StrEnum):
    """The platforms a channel can live on."""

    INSTAGRAM = "instagram"
    FACEBOOK = "facebook"
    YOUTUBE = "youtube"
    TIKTOK = "tiktok"
    LINKEDIN = "linkedin"
    X = "x"
    OTHER = "other"


PLATFORM_DOMAINS: dict[Platform, tuple[str, ...]] = {
    Platform.INSTAGRAM: ("instagram.com",),
    Platform.FACEBOOK: ("facebook.com", "fb.com", "fb.me"),
    Platform.YOUTUBE: ("youtube.com", "youtu.be"),
    Platform.TIKTOK: ("tiktok.com",),
    Platform.LINKEDIN: ("linkedin.com",),
    Platform.X: ("x.com", "twitter.com"),
    Platform.OTHER: (),
}

PLAN_FIELDS = (
    "goals",
    "target_groups",
    "content_and_rhythm",
    "comment_handling",
    "moderation_and_crisis",
)
TEXT_LIMITS = {
    "name": 100,
    "unit": 120,
    "purpose": 1000,
    "login_reference": 300,
    **{name: 2000 for name in PLAN_FIELDS},
}
ADDRESS_LIMIT = 300


@dataclass(frozen=True)
class FieldError:
    """One field's problem: a catalog code (`form.errors.<code>`) and its values."""

    code: str
    values: Mapping[str, str | int] = field(default_factory=dict)


@dataclass(frozen=True)
class ChannelRequest:
    """A valid request for a new channel, with its plan (R5)."""

    platform: Platform
    name: str
    unit: str
    purpose: str
    goals: str
    target_groups: str
    content_and_rhythm: str
    comment_handling: str
    moderation_and_crisis: str
    evaluation_date: date
    editors: tuple[str, ...]
    login_reference: str
    manager: str | None = None
    # The administration chosen on the form; None when the directory's department told.
    administration: str | None = None
    # R2: chosen from the policy's units (its deputies may decide), not typed.
    unit_listed: bool = False


# The unit list's last choice: a unit the policy does not name, typed in `unit_other`.
OTHER_UNIT = "__other__"


# R6: the bot keeps where the login is, never the login itself.
_SECRET_LABEL = re.compile(
    r"(lösenord|losenord|password|passwd|pwd|pass|lösen|kod|pin)\s*[:=]\s*\S+", re.IGNORECASE
)


def _classes(token: str) -> int:
    return sum(
        (
            any(c.islower() for c in token),
            any(c.isupper() for c in token),
            any(c.isdigit() for c in token),
            any(not c.isalnum() for c in token),
        )
    )


def _is_locator(token: str) -> bool:
    """A URL, a path or an address points to a place; it is not a secret itself."""
    return any(mark in token for mark in ("://", "/", "\\", "@"))


def _secret_like(token: str, minimum: int, classes: int) -> bool:
    core = token.strip(".,;:()\"'")
    # Hyphens, underscores and dots join ordinary words ("Bitwarden-samlingen").
    symbols = {c for c in core if not c.isalnum()} - {"-", "_", "."}
    digits = any(c.isdigit() for c in core)
    return len(core) >= minimum and _classes(core) >= classes and (digits or bool(symbols))


def looks_like_password(text: str) -> bool:
    """Tells whether a login reference seems to contain a password rather than point to one."""
    if _SECRET_LABEL.search(text):
        return True
    tokens = [t for t in text.split() if not _is_locator(t)]
    if any(_secret_like(token, 8, 3) for token in tokens):
        return True
    # A lone word with digits or symbols is a password, not a description of a place.
    return len(text.split()) == 1 and len(tokens) == 1 and _secret_like(tokens[0], 6, 2)


def _text(raw: Mapping[str, object], name: str) -> str:
    value = raw.get(name)
    return value.strip() if isinstance(value, str) else ""


def _ids(raw: Mapping[str, object], name: str) -> tuple[str, ...]:
    # Teams' people picker (Input.ChoiceSet, Data.Query graph.microsoft.com/users) answers
    # with comma-separated AAD object ids.
    value = raw.get(name)
    if not isinstance(value, str):
        return ()
    seen: dict[str, None] = {}
    for part in value.split(","):
        if part.strip():
            seen[part.strip()] = None
    return tuple(seen)


def validate_request(
    raw: Mapping[str, object],
    *,
    requester_id: str,
    manager_known: bool,
    today: date,
    policy: ChannelPolicy,
    administrations: Collection[str] = (),
    units: Collection[str] = (),
) -> tuple[ChannelRequest | None, dict[str, FieldError]]:
    """Checks the form's answers; returns the request, or the errors by field.

    `administrations` are the slugs the form offered when the directory could not say which
    administration the requester belongs to: one of them must be chosen. `units` are the
    policy's units (R2): the unit is one of them, or OTHER_UNIT with `unit_other` typed.
    """
    errors: dict[str, FieldError] = {}
    texts = {name: _text(raw, name) for name in TEXT_LIMITS}
    for name, limit in TEXT_LIMITS.items():
        if not texts[name]:
            errors[name] = FieldError("required")
        elif len(texts[name]) > limit:
            errors[name] = FieldError("too_long", {"limit": limit, "length": len(texts[name])})

    platform: Platform | None = None
    try:
        platform = Platform(_text(raw, "platform"))
    except ValueError:
        errors["platform"] = FieldError("choose_platform")

    evaluation: date | None = None
    raw_date = _text(raw, "evaluation_date")
    if not raw_date:
        errors["evaluation_date"] = FieldError("required")
    else:
        try:
            evaluation = date.fromisoformat(raw_date)
        except ValueError:
            errors["evaluation_date"] = FieldError("not_a_date")
        else:
            if evaluation <= today:
                errors["evaluation_date"] = FieldError("date_not_in_future")

    # R3: the requester is one editor; at least (minimum - 1) more must be named.
    editors = tuple(e for e in _ids(raw, "editors") if e != requester_id)
    needed = policy.min_editors - 1
    if len(editors) < needed:
        errors["editors"] = FieldError("too_few_editors", {"minimum": policy.min_editors})
    elif len(editors) > policy.max_editors - 1:
        errors["editors"] = FieldError("too_many_editors", {"maximum": policy.max_editors})

    # R2: the manager decides; asked for only when the directory has no answer.
    manager_ids = _ids(raw, "manager")
    manager = manager_ids[0] if manager_ids else None
    if not manager_known:
        if manager is None:
            errors["manager"] = FieldError("manager_required")
        elif manager == requester_id or len(manager_ids) > 1:
            errors["manager"] = FieldError("manager_not_self")

    # R2: a deputy is found only from a unit chosen from the policy's list, never typed.
    unit, unit_listed = texts["unit"], False
    if units and "unit" not in errors:
        listed = {u.casefold(): u for u in units}
        if unit.casefold() in listed:
            unit, unit_listed = listed[unit.casefold()], True
        elif unit == OTHER_UNIT:
            unit = _text(raw, "unit_other")
            if not unit:
                errors["unit_other"] = FieldError("required")
            elif len(unit) > TEXT_LIMITS["unit"]:
                errors["unit_other"] = FieldError(
                    "too_long", {"limit": TEXT_LIMITS["unit"], "length": len(unit)}
                )
        else:
            errors["unit"] = FieldError("choose_unit")

    administration: str | None = None
    if administrations:
        administration = _text(raw, "administration")
        if administration not in administrations:
            errors["administration"] = FieldError("choose_administration")

    # R6: a reference to where the login is kept, never the password.
    if "login_reference" not in errors and looks_like_password(texts["login_reference"]):
        errors["login_reference"] = FieldError("looks_like_password")

    if errors or platform is None or evaluation is None:
        return None, errors
    return (
        ChannelRequest(
            platform=platform,
            name=texts["name"],
            unit=unit,
            unit_listed=unit_listed,
            purpose=texts["purpose"],
            goals=texts["goals"],
            target_groups=texts["target_groups"],
            content_and_rhythm=texts["content_and_rhythm"],
            comment_handling=texts["comment_handling"],
            moderation_and_crisis=texts["moderation_and_crisis"],
            evaluation_date=evaluation,
            editors=editors,
            login_reference=texts["login_reference"],
            manager=manager if not manager_known else None,
            administration=administration,
        ),
        {},
    )


def validate_address(platform: Platform, raw: object) -> tuple[str | None, FieldError | None]:
    """Checks the channel's address (R8): https, on the platform's own domains."""
    text = raw.strip() if isinstance(raw, str) else ""
    if not text:
        return None, FieldError("required")
    if len(text) > ADDRESS_LIMIT:
        return None, FieldError("too_long", {"limit": ADDRESS_LIMIT, "length": len(text)})
    if any(c.isspace() or ord(c) < 32 for c in text):
        return None, FieldError("not_an_https_address")
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").lower()
        _ = parts.port  # raises on a port that is not a number
    except ValueError:
        return None, FieldError("not_an_https_address")
    # R6 and R8: a login never goes into the public list, not even inside a URL.
    if parts.scheme != "https" or not host or parts.username or parts.password:
        return None, FieldError("not_an_https_address")
    domains = PLATFORM_DOMAINS[platform]
    if domains and not any(host == d or host.endswith(f".{d}") for d in domains):
        return None, FieldError("wrong_platform_domain", {"domains": ", ".join(domains)})
    return text, None
