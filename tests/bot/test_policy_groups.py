"""A sweep's groups of administrations (issue 15): one query per value of a policy setting,
each group naming exactly the administrations that have that value."""

from __future__ import annotations

from dialogs.services import policy_groups
from domain.organisation_file import organisation_from_table
from domain.organisations import Organisations, single_organisation
from domain.policy import Policy

A = "7e57c0de-0000-4000-8000-00000000000a"
B = "7e57c0de-0000-4000-8000-00000000000b"


def _organisations() -> Organisations:
    city = {
        "slug": "stad",
        "name": "Staden",
        "tenant_ids": [A],
        "administrations": [
            {"slug": "sof", "name": "SoF"},
            {"slug": "kultur", "name": "Kultur", "channels": {"approval_reminder_days": 5}},
            {"slug": "idrott", "name": "Idrott"},
        ],
    }
    region = {
        "slug": "region",
        "name": "Regionen",
        "tenant_ids": [B],
        "channels": {"approval_reminder_days": 5},
    }
    return Organisations(
        (
            organisation_from_table(city, where="stad.toml"),
            organisation_from_table(region, where="region.toml"),
        )
    )


def days(policy: Policy) -> int:
    return policy.channels.approval_reminder_days


def test_administrations_that_share_a_value_are_one_group():
    groups = dict(policy_groups(_organisations(), days))
    default = Policy().channels.approval_reminder_days
    assert groups == {
        default: {"stad": frozenset({"sof", "idrott"})},
        5: {"stad": frozenset({"kultur"}), "region": None},
    }


def test_one_value_everywhere_is_one_unfiltered_query():
    assert policy_groups(_organisations(), lambda p: p.consent.removal_reminder_days) == [
        (Policy().consent.removal_reminder_days, None)
    ]
    assert policy_groups(single_organisation(Policy()), days) == [(days(Policy()), None)]
