"""The channel parts of the policy: defaults from RULES.md, floors the rules set, deputies."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from domain.policy import (
    ChannelPolicy,
    Deputy,
    Policy,
    PolicyError,
    RegistryPolicy,
    deployment_problems,
    reaches_nobody,
)
from domain.policy_file import load_policy, parse_policy

EXAMPLE = Path(__file__).resolve().parents[2] / "policy.example.toml"


def test_defaults_follow_the_rules() -> None:
    policy = parse_policy("")

    assert policy.channels.min_editors == 2  # R3
    assert policy.channels.documentation_interval_months == 6  # R12
    # R8: the shipped mailbox reaches nobody; a deployment must set its own.
    assert policy.registry.mailbox == "registret@example.org"
    assert deployment_problems(policy) != []
    assert policy.channels.max_editors >= policy.channels.min_editors
    assert policy.channels.approval_reminder_days >= 1  # R2
    assert policy.admins == ()
    assert policy.deputies == ()


def test_the_example_policy_file_loads_with_the_rules_defaults() -> None:
    policy = load_policy(EXAMPLE)

    assert policy.channels == ChannelPolicy()
    assert policy.registry == RegistryPolicy()


# --- R3: at least two editors, a floor a municipality may raise but not lower ------------

R3_MIN_EDITORS = [
    ("[channels]\nmin_editors = 3\n", 3),
    ("[channels]\nmin_editors = 2\nmax_editors = 2\n", 2),
]


@pytest.mark.parametrize(("text", "minimum"), R3_MIN_EDITORS)
def test_r3_the_editor_minimum_may_be_raised(text: str, minimum: int) -> None:
    assert parse_policy(text).channels.min_editors == minimum


@pytest.mark.parametrize(
    "text",
    [
        "[channels]\nmin_editors = 1\n",
        "[channels]\nmin_editors = 0\n",
        "[channels]\nmin_editors = -2\n",
    ],
)
def test_r3_the_editor_minimum_is_at_least_two(text: str) -> None:
    with pytest.raises(PolicyError, match=r"channels\.min_editors.*at least 2 \(R3\)"):
        parse_policy(text)


def test_r3_the_editor_maximum_is_not_below_the_minimum() -> None:
    with pytest.raises(PolicyError, match=r"channels\.max_editors"):
        parse_policy("[channels]\nmin_editors = 4\nmax_editors = 3\n")


# --- R12: documented at least every half year --------------------------------------------


@pytest.mark.parametrize("months", [1, 3, 6])
def test_r12_the_documentation_interval_may_be_shorter(months: int) -> None:
    text = f"[channels]\ndocumentation_interval_months = {months}\n"

    assert parse_policy(text).channels.documentation_interval_months == months


@pytest.mark.parametrize("months", [7, 12, 0, -1])
def test_r12_the_documentation_interval_is_at_most_six_months(months: int) -> None:
    text = f"[channels]\ndocumentation_interval_months = {months}\n"

    with pytest.raises(PolicyError, match=r"channels\.documentation_interval_months.*\(R12\)"):
        parse_policy(text)


# --- R2: the approval reminder -----------------------------------------------------------


@pytest.mark.parametrize(("days", "ok"), [(1, True), (7, True), (0, False), (-3, False)])
def test_r2_the_approval_reminder_is_at_least_a_day(days: int, ok: bool) -> None:
    text = f"[channels]\napproval_reminder_days = {days}\n"
    if ok:
        assert parse_policy(text).channels.approval_reminder_days == days
    else:
        with pytest.raises(PolicyError, match=r"channels\.approval_reminder_days"):
            parse_policy(text)


# --- R8: the registry mailbox ------------------------------------------------------------


def test_r8_the_registry_mailbox_may_be_another_citys() -> None:
    policy = parse_policy('[registry]\nmailbox = "webb@kommun.example"\n')

    assert policy.registry.mailbox == "webb@kommun.example"


@pytest.mark.parametrize("mailbox", ["", "redaktionen"])
def test_r8_the_registry_mailbox_is_an_address(mailbox: str) -> None:
    with pytest.raises(PolicyError, match=r"registry\.mailbox"):
        parse_policy(f'[registry]\nmailbox = "{mailbox}"\n')


# --- R2: deputies who may decide for a unit's manager ------------------------------------

DEPUTIES_TOML = """
[[deputies]]
unit = "Fritid Norr"
aad_object_id = "deputy-0001"

[[deputies]]
unit = "fritid norr"
aad_object_id = "deputy-0002"

[[deputies]]
unit = "Ugglans skola"
aad_object_id = "deputy-0003"
"""


def test_r2_the_deputies_table_parses() -> None:
    assert parse_policy(DEPUTIES_TOML).deputies == (
        Deputy(unit="Fritid Norr", aad_object_id="deputy-0001"),
        Deputy(unit="fritid norr", aad_object_id="deputy-0002"),
        Deputy(unit="Ugglans skola", aad_object_id="deputy-0003"),
    )


R2_DEPUTIES_FOR = [
    ("Fritid Norr", ("deputy-0001", "deputy-0002")),
    ("FRITID NORR", ("deputy-0001", "deputy-0002")),
    ("  fritid norr ", ("deputy-0001", "deputy-0002")),
    ("ugglans SKOLA", ("deputy-0003",)),
    ("Fritid", ()),
    ("Fritid Norr Väst", ()),
    ("", ()),
]


@pytest.mark.parametrize(("unit", "expected"), R2_DEPUTIES_FOR)
def test_r2_deputies_for_matches_the_unit_case_insensitively(
    unit: str, expected: tuple[str, ...]
) -> None:
    assert parse_policy(DEPUTIES_TOML).deputies_for(unit) == expected


def test_r2_no_deputies_means_none_for_any_unit() -> None:
    assert Policy().deputies_for("Fritid Norr") == ()


# --- admins ------------------------------------------------------------------------------


def test_admins_is_a_list_of_ids() -> None:
    policy = parse_policy('admins = ["admin-0001", "admin-0002"]\n')

    assert policy.admins == ("admin-0001", "admin-0002")


# --- wrong keys and types are named ------------------------------------------------------

WRONG_TYPES = [
    ('[channels]\nmin_editors = "two"\n', "channels.min_editors"),
    ("[channels]\nmin_editors = 2.0\n", "channels.min_editors"),
    ("[channels]\nmin_editors = true\n", "channels.min_editors"),
    (
        '[channels]\ndocumentation_interval_months = "6"\n',
        "channels.documentation_interval_months",
    ),
    ("[channels]\nmin_editor = 2\n", "channels.min_editor"),
    ("channels = 2\n", "channels"),
    ("[registry]\nmailbox = 1\n", "registry.mailbox"),
    ('[registry]\nmailbox_address = "a@b.example"\n', "registry.mailbox_address"),
    ('admins = "admin-0001"\n', "admins"),
    ('admins = ["admin-0001", 2]\n', "admins[1]"),
    ('deputies = "Fritid Norr"\n', "deputies"),
    ('deputies = ["deputy-0001"]\n', "deputies[0]"),
    ('[[deputies]]\nunit = 3\naad_object_id = "deputy-0001"\n', "deputies[0].unit"),
    (
        '[[deputies]]\nunit = "Fritid Norr"\naad_object_id = "d"\nname = "x"\n',
        "deputies[0].name",
    ),
]


@pytest.mark.parametrize(("text", "named"), WRONG_TYPES, ids=[named for _, named in WRONG_TYPES])
def test_a_wrong_key_or_type_is_named(text: str, named: str) -> None:
    with pytest.raises(PolicyError, match=re.escape(f"'{named}'")):
        parse_policy(text)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('[[deputies]]\nunit = "Fritid Norr"\n', "deputies[0].aad_object_id"),
        ('[[deputies]]\naad_object_id = "deputy-0001"\n', "deputies[0].unit"),
    ],
    ids=["no-aad-object-id", "no-unit"],
)
def test_r2_a_deputy_missing_a_key_is_named(text: str, named: str) -> None:
    with pytest.raises(PolicyError, match=re.escape(named)):
        parse_policy(text)


@pytest.mark.parametrize(
    ("address", "nobody"),
    [
        ("registret@example.org", True),
        ("a@EXAMPLE.COM", True),
        ("a@post.example.net", True),
        ("a@kommun.test", True),
        ("a@host.invalid", True),
        ("redaktionen@helsingborg.se", False),
        ("a@example.org.se", False),
        ("a@myexample.org", False),
    ],
)
def test_reserved_example_domains_reach_nobody(address: str, nobody: bool) -> None:
    assert reaches_nobody(address) is nobody


def test_a_deployment_with_its_own_mailbox_has_no_problems() -> None:
    policy = parse_policy('[registry]\nmailbox = "redaktionen@kommun.se"\n')

    assert deployment_problems(policy) == []


def test_deployed_loading_names_the_key(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text("[channels]\nmin_editors = 3\n", encoding="utf-8")

    assert load_policy(path).channels.min_editors == 3
    with pytest.raises(PolicyError, match=r"registry\.mailbox"):
        load_policy(path, deployed=True)
    with pytest.raises(PolicyError, match=r"registry\.mailbox"):
        load_policy(None, deployed=True)
