"""The policy file: defaults from RULES.md; a wrong key or type stops start-up, named."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.policy import DeliveryPolicy, Policy, PolicyError
from domain.policy_file import load_policy, parse_policy, policy_from_table, with_overrides


def test_no_file_means_the_defaults():
    assert load_policy(None) == Policy()


def test_an_empty_file_means_the_defaults():
    assert parse_policy("") == Policy()


def test_values_override_the_defaults_and_ints_widen_to_floats():
    policy = parse_policy("[delivery]\nmax_attempts = 3\nbackoff_base_seconds = 2\n")

    assert policy.delivery == DeliveryPolicy(max_attempts=3, backoff_base_seconds=2.0)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("[delivery]\nmax_attemps = 3\n", "delivery.max_attemps"),
        ("unknown = 1\n", "unknown"),
        ("delivery = 1\n", "delivery"),
        ('[delivery]\nmax_attempts = "three"\n', "delivery.max_attempts"),
        ("[delivery]\nmax_attempts = true\n", "delivery.max_attempts"),
        ("[delivery]\nmax_attempts = 0\n", "delivery.max_attempts"),
        ("[delivery]\nlease_seconds = -1\n", "delivery.lease_seconds"),
        ("[delivery\n", "not valid TOML"),
    ],
)
def test_a_wrong_key_or_type_is_named(text: str, named: str):
    with pytest.raises(PolicyError, match=named.replace("[", r"\[")):
        parse_policy(text)


def test_an_unreadable_file_is_a_policy_error(tmp_path: Path):
    with pytest.raises(PolicyError, match="Cannot read the policy file"):
        load_policy(tmp_path / "missing.toml")


def test_the_example_policy_file_is_valid():
    example = Path(__file__).resolve().parents[2] / "policy.example.toml"

    assert load_policy(example) == Policy()


def test_the_example_policy_works_with_its_commented_lines_uncommented(tmp_path: Path):
    """Uncommenting `admins` and a deputy, as the example invites, gives a valid policy."""
    example = Path(__file__).resolve().parents[2] / "policy.example.toml"
    text = example.read_text("utf-8")
    for line in (
        '# admins = ["00000000-0000-0000-0000-000000000000"]',
        "# [[deputies]]",
        '# unit = "Fritidsgården Ugglan"',
        '# aad_object_id = "00000000-0000-0000-0000-000000000000"',
    ):
        assert line in text
        text = text.replace(line, line.removeprefix("# "))
    edited = tmp_path / "policy.toml"
    edited.write_text(text, "utf-8")

    policy = load_policy(edited)

    assert policy.admins == ("00000000-0000-0000-0000-000000000000",)
    assert policy.deputies_for("Fritidsgården Ugglan") == ("00000000-0000-0000-0000-000000000000",)


def test_overrides_replace_only_the_keys_they_name():
    base = parse_policy('[registry]\nmailbox = "r@stad.example"\nadministration = "SoF"\n')

    changed = with_overrides(base, {"registry": {"mailbox": "k@stad.example"}, "admins": ["x"]})

    assert changed.registry.mailbox == "k@stad.example"
    assert changed.registry.administration == "SoF"
    assert changed.admins == ("x",)
    assert changed.delivery == base.delivery


@pytest.mark.parametrize(
    ("table", "named"),
    [
        ({"registry": {"mailbx": "k@stad.example"}}, "registry.mailbx"),
        ({"channels": {"min_editors": 1}}, "channels.min_editors"),
        ({"delivery": 3}, "delivery"),
    ],
)
def test_overrides_are_checked_like_a_file(table: dict[str, object], named: str):
    with pytest.raises(PolicyError, match=named):
        with_overrides(Policy(), table)


def test_a_table_builds_the_same_policy_as_its_file():
    assert policy_from_table({"channels": {"min_editors": 3}}) == parse_policy(
        "[channels]\nmin_editors = 3\n"
    )
