"""The new-channel request (R2, R3, R5, R6) and the channel's address (R8)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

import pytest

from domain.channel_request import (
    ADDRESS_LIMIT,
    PLAN_FIELDS,
    TEXT_LIMITS,
    ChannelRequest,
    FieldError,
    Platform,
    looks_like_password,
    validate_address,
    validate_request,
)
from domain.policy import ChannelPolicy

TODAY = date(2026, 3, 2)
REQUESTER = "requester-0001"
MANAGER = "manager-0001"
POLICY = ChannelPolicy()
OTHERS = [f"editor-{n:04d}" for n in range(1, 12)]


def make_form(**overrides: object) -> dict[str, object]:
    """A valid form answer as the card submits it; `None` removes a field."""
    form: dict[str, object] = {
        "platform": "instagram",
        "name": "Ugglans fritidsgård",
        "unit": "Fritid Norr",
        "purpose": "Berätta om aktiviteter för unga i Norr.",
        "goals": "Fler besökare på fritidsgården.",
        "target_groups": "Unga 13–19 år och deras vårdnadshavare.",
        "content_and_rhythm": "Två inlägg i veckan.",
        "comment_handling": "Redaktörerna svarar vardagar inom ett dygn.",
        "moderation_and_crisis": "Kränkande kommentarer döljs och dokumenteras.",
        "evaluation_date": "2026-09-01",
        "editors": f"{REQUESTER},{OTHERS[0]}",
        "manager": MANAGER,
        "login_reference": "Enhetens lösenordsvalv, posten Instagram Ugglan",
    }
    form.update(overrides)
    return {key: value for key, value in form.items() if value is not None}


def validate(
    form: Mapping[str, object],
    *,
    manager_known: bool = False,
    policy: ChannelPolicy = POLICY,
) -> tuple[ChannelRequest | None, dict[str, FieldError]]:
    return validate_request(
        form, requester_id=REQUESTER, manager_known=manager_known, today=TODAY, policy=policy
    )


def only_error(
    form: Mapping[str, object], *, policy: ChannelPolicy = POLICY
) -> tuple[str, FieldError]:
    """The single error the form has, by field."""
    request, errors = validate(form, policy=policy)
    assert request is None
    assert len(errors) == 1, errors
    return next(iter(errors.items()))


# --- the whole request -------------------------------------------------------------------


def test_a_valid_request_keeps_every_answer() -> None:
    request, errors = validate(make_form(name="  Ugglans fritidsgård  "))

    assert errors == {}
    assert request == ChannelRequest(
        platform=Platform.INSTAGRAM,
        name="Ugglans fritidsgård",
        unit="Fritid Norr",
        purpose="Berätta om aktiviteter för unga i Norr.",
        goals="Fler besökare på fritidsgården.",
        target_groups="Unga 13–19 år och deras vårdnadshavare.",
        content_and_rhythm="Två inlägg i veckan.",
        comment_handling="Redaktörerna svarar vardagar inom ett dygn.",
        moderation_and_crisis="Kränkande kommentarer döljs och dokumenteras.",
        evaluation_date=date(2026, 9, 1),
        editors=(OTHERS[0],),
        login_reference="Enhetens lösenordsvalv, posten Instagram Ugglan",
        manager=MANAGER,
    )


def test_every_error_is_reported_at_once() -> None:
    request, errors = validate({})

    assert request is None
    assert set(errors) == {
        *TEXT_LIMITS,
        "platform",
        "evaluation_date",
        "editors",
        "manager",
    }


# --- R5: required fields and text limits -------------------------------------------------

REQUIRED_TEXTS = [*TEXT_LIMITS, "evaluation_date"]


@pytest.mark.parametrize("name", REQUIRED_TEXTS)
@pytest.mark.parametrize(
    "value", [None, "", "   \n ", 42], ids=["absent", "empty", "blank", "int"]
)
def test_r5_every_field_is_required(name: str, value: object) -> None:
    assert only_error(make_form(**{name: value})) == (name, FieldError("required"))


def test_r5_the_plan_fields_are_among_the_limited_texts() -> None:
    assert set(PLAN_FIELDS) <= set(TEXT_LIMITS)


@pytest.mark.parametrize(("name", "limit"), sorted(TEXT_LIMITS.items()))
def test_r5_texts_over_their_limit_are_too_long(name: str, limit: int) -> None:
    too_long = "x" * (limit + 1)

    assert only_error(make_form(**{name: too_long})) == (
        name,
        FieldError("too_long", {"limit": limit, "length": limit + 1}),
    )


@pytest.mark.parametrize(("name", "limit"), sorted(TEXT_LIMITS.items()))
def test_r5_texts_at_their_limit_are_accepted_after_trimming(name: str, limit: int) -> None:
    request, errors = validate(make_form(**{name: "  " + "x" * limit + "  "}))

    assert errors == {}
    assert request is not None
    assert getattr(request, name) == "x" * limit


# --- the platform ------------------------------------------------------------------------


@pytest.mark.parametrize("platform", list(Platform))
def test_every_platform_can_be_chosen(platform: Platform) -> None:
    request, errors = validate(make_form(platform=platform.value))

    assert errors == {}
    assert request is not None
    assert request.platform is platform


@pytest.mark.parametrize("value", [None, "", "myspace", "instagram.com", 3])
def test_an_unknown_platform_asks_to_choose_one(value: object) -> None:
    assert only_error(make_form(platform=value)) == ("platform", FieldError("choose_platform"))


# --- R5: the plan's evaluation date ------------------------------------------------------

EVALUATION_DATES = [
    ("not a date", "not_a_date"),
    ("2026-02-30", "not_a_date"),
    ("01/09/2026", "not_a_date"),
    (TODAY.isoformat(), "date_not_in_future"),
    ((TODAY - timedelta(days=1)).isoformat(), "date_not_in_future"),
    ("2025-09-01", "date_not_in_future"),
]


@pytest.mark.parametrize(("value", "code"), EVALUATION_DATES)
def test_r5_the_evaluation_date_is_a_future_date(value: str, code: str) -> None:
    assert only_error(make_form(evaluation_date=value)) == ("evaluation_date", FieldError(code))


def test_r5_tomorrow_is_a_valid_evaluation_date() -> None:
    tomorrow = TODAY + timedelta(days=1)
    request, errors = validate(make_form(evaluation_date=f" {tomorrow.isoformat()} "))

    assert errors == {}
    assert request is not None
    assert request.evaluation_date == tomorrow


# --- R3: at least two editors, the requester counting as one -----------------------------

R3_EDITORS_ACCEPTED = [
    pytest.param(OTHERS[0], (OTHERS[0],), id="one-colleague"),
    pytest.param(f"{REQUESTER},{OTHERS[0]}", (OTHERS[0],), id="requester-listed-too"),
    pytest.param(f"{OTHERS[0]},{OTHERS[0]}", (OTHERS[0],), id="duplicate-counted-once"),
    pytest.param(
        f" {OTHERS[0]} ,{OTHERS[1]},, ", (OTHERS[0], OTHERS[1]), id="people-picker-commas"
    ),
    pytest.param(",".join(OTHERS[:9]), tuple(OTHERS[:9]), id="maximum-besides-requester"),
    pytest.param(
        ",".join([REQUESTER, *OTHERS[:9], OTHERS[0]]), tuple(OTHERS[:9]), id="maximum-with-dupes"
    ),
]


@pytest.mark.parametrize(("editors", "expected"), R3_EDITORS_ACCEPTED)
def test_r3_editors_accepted(editors: str, expected: tuple[str, ...]) -> None:
    request, errors = validate(make_form(editors=editors))

    assert errors == {}
    assert request is not None
    assert request.editors == expected


R3_EDITORS_REFUSED = [
    pytest.param(None, "too_few_editors", {"minimum": 2}, id="absent"),
    pytest.param("", "too_few_editors", {"minimum": 2}, id="none"),
    pytest.param(" , ,", "too_few_editors", {"minimum": 2}, id="only-commas"),
    pytest.param(REQUESTER, "too_few_editors", {"minimum": 2}, id="requester-only"),
    pytest.param(
        f"{REQUESTER},{REQUESTER}", "too_few_editors", {"minimum": 2}, id="requester-twice"
    ),
    pytest.param([OTHERS[0]], "too_few_editors", {"minimum": 2}, id="not-a-string"),
    pytest.param(",".join(OTHERS[:10]), "too_many_editors", {"maximum": 10}, id="too-many"),
    pytest.param(
        ",".join([REQUESTER, *OTHERS[:10]]), "too_many_editors", {"maximum": 10}, id="too-many+me"
    ),
]


@pytest.mark.parametrize(("editors", "code", "values"), R3_EDITORS_REFUSED)
def test_r3_editors_refused(editors: object, code: str, values: dict[str, int]) -> None:
    assert only_error(make_form(editors=editors)) == ("editors", FieldError(code, values))


def test_r3_a_raised_minimum_counts_duplicates_once() -> None:
    policy = ChannelPolicy(min_editors=3)

    assert only_error(make_form(editors=f"{OTHERS[0]},{OTHERS[0]}"), policy=policy) == (
        "editors",
        FieldError("too_few_editors", {"minimum": 3}),
    )


# --- R2: the manager decides; asked for only when the directory has no answer ------------

R2_MANAGER = [
    pytest.param(False, MANAGER, MANAGER, None, id="unknown-named"),
    pytest.param(False, f" {MANAGER} ", MANAGER, None, id="unknown-named-padded"),
    pytest.param(False, None, None, "manager_required", id="unknown-absent"),
    pytest.param(False, "", None, "manager_required", id="unknown-empty"),
    pytest.param(False, REQUESTER, None, "manager_not_self", id="unknown-self"),
    pytest.param(False, f"{MANAGER},{OTHERS[5]}", None, "manager_not_self", id="unknown-two"),
    pytest.param(True, "", None, None, id="known-empty-ignored"),
    pytest.param(True, REQUESTER, None, None, id="known-self-ignored"),
    pytest.param(True, MANAGER, None, None, id="known-named-ignored"),
]


@pytest.mark.parametrize(("manager_known", "value", "manager", "code"), R2_MANAGER)
def test_r2_manager(
    manager_known: bool, value: str | None, manager: str | None, code: str | None
) -> None:
    request, errors = validate(make_form(manager=value), manager_known=manager_known)

    if code is None:
        assert errors == {}
        assert request is not None
        assert request.manager == manager
    else:
        assert request is None
        assert errors == {"manager": FieldError(code)}


# --- R6: where the login is kept, never the login itself ---------------------------------

R6_PASSWORDS = [
    "lösenord: Sommar2024!",
    "password=hunter2",
    "Pwd: x9",
    "Sommar2024!",
    "Tr0ub4dor&3",
    "hemligt123",
]

# looks_like_password counts a capital letter, a small letter and any non-alphanumeric
# character as three classes, so a path or a hyphenated name reads as a password; its
# single-word rule needs only two classes (upper + lower) and, unlike the loop, does not
# skip URLs.
R6_REFERENCES = [
    "Enhetens lösenordsvalv, posten Instagram Ugglan",
    "KeePass på G:/Fritid/Sociala medier",
    "Hos rektor i kassaskåpet",
    "https://vault.stad.example/entry/42",
    "Bitwarden-samlingen Fritid",
    "Kassaskåpet",
    "Se https://vault.stad.example/entry/42",
]


@pytest.mark.parametrize("text", R6_PASSWORDS)
def test_r6_a_password_is_refused(text: str) -> None:
    assert looks_like_password(text)
    assert only_error(make_form(login_reference=text)) == (
        "login_reference",
        FieldError("looks_like_password"),
    )


@pytest.mark.parametrize("text", R6_REFERENCES)
def test_r6_a_reference_to_the_login_is_accepted(text: str) -> None:
    assert not looks_like_password(text)
    request, errors = validate(make_form(login_reference=text))
    assert errors == {}
    assert request is not None
    assert request.login_reference == text


def test_r6_a_too_long_reference_is_reported_as_too_long_not_as_a_password() -> None:
    text = "lösenord: Sommar2024! " * 20

    name, error = only_error(make_form(login_reference=text))

    assert name == "login_reference"
    assert error.code == "too_long"


# --- R8: the channel's address -----------------------------------------------------------

R8_ADDRESSES_ACCEPTED = [
    (Platform.INSTAGRAM, "https://instagram.com/ugglan"),
    (Platform.INSTAGRAM, "https://www.instagram.com/ugglan"),
    (Platform.INSTAGRAM, "https://WWW.Instagram.COM/ugglan"),
    (Platform.FACEBOOK, "https://m.facebook.com/ugglan"),
    (Platform.FACEBOOK, "https://www.facebook.com/ugglan"),
    (Platform.FACEBOOK, "https://fb.me/ugglan"),
    (Platform.YOUTUBE, "https://www.youtube.com/@ugglan"),
    (Platform.YOUTUBE, "https://m.youtube.com/@ugglan"),
    (Platform.YOUTUBE, "https://youtu.be/abc123"),
    (Platform.TIKTOK, "https://www.tiktok.com/@ugglan"),
    (Platform.LINKEDIN, "https://se.linkedin.com/company/ugglan"),
    (Platform.X, "https://x.com/ugglan"),
    (Platform.X, "https://twitter.com/ugglan"),
    (Platform.OTHER, "https://mastodon.example/@ugglan"),
    (Platform.OTHER, "https://ugglan.stad.example/"),
]


@pytest.mark.parametrize(("platform", "address"), R8_ADDRESSES_ACCEPTED)
def test_r8_an_address_on_the_platform_is_accepted(platform: Platform, address: str) -> None:
    assert validate_address(platform, f"  {address} ") == (address, None)


def test_r8_an_address_at_its_limit_is_accepted() -> None:
    address = "https://instagram.com/" + "a" * (ADDRESS_LIMIT - len("https://instagram.com/"))

    assert validate_address(Platform.INSTAGRAM, address) == (address, None)


_LONG = "https://instagram.com/" + "a" * (ADDRESS_LIMIT + 1 - len("https://instagram.com/"))

R8_ADDRESSES_REFUSED = [
    pytest.param(Platform.INSTAGRAM, None, FieldError("required"), id="none"),
    pytest.param(Platform.INSTAGRAM, "", FieldError("required"), id="empty"),
    pytest.param(Platform.OTHER, "   ", FieldError("required"), id="blank"),
    pytest.param(
        Platform.INSTAGRAM,
        _LONG,
        FieldError("too_long", {"limit": ADDRESS_LIMIT, "length": ADDRESS_LIMIT + 1}),
        id="too-long",
    ),
    pytest.param(
        Platform.INSTAGRAM,
        "http://instagram.com/ugglan",
        FieldError("not_an_https_address"),
        id="http",
    ),
    pytest.param(
        Platform.INSTAGRAM,
        "instagram.com/ugglan",
        FieldError("not_an_https_address"),
        id="no-scheme",
    ),
    pytest.param(
        Platform.INSTAGRAM,
        "www.instagram.com/ugglan",
        FieldError("not_an_https_address"),
        id="no-scheme-www",
    ),
    pytest.param(Platform.OTHER, "https://", FieldError("not_an_https_address"), id="no-host"),
    pytest.param(
        Platform.OTHER,
        "http://ugglan.example/",
        FieldError("not_an_https_address"),
        id="other-http",
    ),
    pytest.param(
        Platform.OTHER, "ftp://ugglan.example/", FieldError("not_an_https_address"), id="ftp"
    ),
    pytest.param(
        Platform.INSTAGRAM,
        "https://instagram.com/ugglan fritid",
        FieldError("not_an_https_address"),
        id="space-in-path",
    ),
    pytest.param(
        Platform.OTHER,
        "https://ugglan .example/",
        FieldError("not_an_https_address"),
        id="space-in-host",
    ),
    pytest.param(
        Platform.INSTAGRAM,
        "https://instagram.com/ugg\tlan",
        FieldError("not_an_https_address"),
        id="tab",
    ),
    pytest.param(
        Platform.INSTAGRAM,
        "https://instagram.com/ugg\nlan",
        FieldError("not_an_https_address"),
        id="newline",
    ),
    pytest.param(
        Platform.INSTAGRAM,
        "https://[instagram.com/ugglan",
        FieldError("not_an_https_address"),
        id="unclosed-bracket",
    ),
    pytest.param(
        Platform.OTHER,
        "https://user:pw@example.org/",
        FieldError("not_an_https_address"),
        id="login-in-url-R6",
    ),
    pytest.param(
        Platform.INSTAGRAM,
        "https://instagram.com:abc/u",
        FieldError("not_an_https_address"),
        id="port-not-a-number",
    ),
    pytest.param(
        Platform.INSTAGRAM,
        "https://instagram.com.evil.example/ugglan",
        FieldError("wrong_platform_domain", {"domains": "instagram.com"}),
        id="look-alike-suffix",
    ),
    pytest.param(
        Platform.INSTAGRAM,
        "https://notinstagram.com/ugglan",
        FieldError("wrong_platform_domain", {"domains": "instagram.com"}),
        id="look-alike-prefix",
    ),
    pytest.param(
        Platform.INSTAGRAM,
        "https://instagram.com@evil.example/ugglan",
        FieldError("not_an_https_address"),  # a login part is refused before the domain
        id="userinfo-trick",
    ),
    pytest.param(
        Platform.INSTAGRAM,
        "https://www.facebook.com/ugglan",
        FieldError("wrong_platform_domain", {"domains": "instagram.com"}),
        id="other-platform",
    ),
    pytest.param(
        Platform.FACEBOOK,
        "https://evilfb.com/ugglan",
        FieldError("wrong_platform_domain", {"domains": "facebook.com, fb.com, fb.me"}),
        id="look-alike-fb",
    ),
    pytest.param(
        Platform.X,
        "https://xx.com/ugglan",
        FieldError("wrong_platform_domain", {"domains": "x.com, twitter.com"}),
        id="look-alike-x",
    ),
]


@pytest.mark.parametrize(("platform", "raw", "error"), R8_ADDRESSES_REFUSED)
def test_r8_an_address_off_the_platform_is_refused(
    platform: Platform, raw: object, error: FieldError
) -> None:
    assert validate_address(platform, raw) == (None, error)


# --- the administration (issue 15) --------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "error"),
    [(None, True), ("", True), ("okand", True), ("sof", False), ("kultur", False)],
)
def test_an_offered_administration_must_be_chosen(answer: str | None, error: bool) -> None:
    request, errors = validate_request(
        make_form(administration=answer),
        requester_id=REQUESTER,
        manager_known=False,
        today=TODAY,
        policy=POLICY,
        administrations=("sof", "kultur"),
    )
    if error:
        assert request is None
        assert errors == {"administration": FieldError("choose_administration")}
    else:
        assert request is not None and request.administration == answer


def test_without_offered_administrations_none_is_asked() -> None:
    request, errors = validate(make_form(administration="whatever"))
    assert errors == {} and request is not None and request.administration is None
