"""The records package keys (issue 27): format, submission agreement, reference code, size
limit and link days, per organisation and per administration; a wrong value is named with its
file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.organisation_file import load_organisations
from domain.organisations import OrganisationError
from domain.policy import Policy, PolicyError
from domain.policy_file import load_policy
from tests.domain.test_organisations import GOTEBORG


def test_the_defaults_are_an_eark_sip_up_to_20_mb_and_links_for_30_days():
    records = Policy().records

    assert records.package_format == "eark-sip"
    assert (records.submission_agreement, records.reference_code) == ("", "")
    assert (records.max_attachment_mb, records.link_days) == (20, 30)


def test_an_organisation_sets_them_and_an_administration_its_own(tmp_path: Path):
    text = GOTEBORG.replace(
        "[[deputies]]",
        '[records]\npackage_format = "zip"\nsubmission_agreement = "LÖ 2026:1"\n'
        "max_attachment_mb = 10\n\n[[deputies]]",
    ) + (
        '\n[administrations.records]\npackage_format = "eark-sip"\nreference_code = "KN 2026/4"\n'
    )
    folder = tmp_path / "organisations"
    folder.mkdir()
    (folder / "goteborg.toml").write_text(text, encoding="utf-8")

    goteborg = load_organisations(folder).by_slug("goteborg")

    assert goteborg is not None
    sof, kultur = goteborg.administrations
    assert sof.policy.records.package_format == "zip"
    assert sof.policy.records.submission_agreement == "LÖ 2026:1"
    assert sof.policy.records.max_attachment_mb == 10
    assert kultur.policy.records.package_format == "eark-sip"
    assert kultur.policy.records.reference_code == "KN 2026/4"
    assert kultur.policy.records.submission_agreement == "LÖ 2026:1"


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ('package_format = "tar"', "records.package_format"),
        ("package_format = 1", "records.package_format"),
        ("max_attachment_mb = 0", "records.max_attachment_mb"),
        ("max_attachment_mb = 1000", "records.max_attachment_mb"),
        ("link_days = 0", "records.link_days"),
        ('reference_code = "two\\nlines"', "records.reference_code"),
        ('submission_agreement = " padded"', "records.submission_agreement"),
        ("link_dayz = 3", "records.link_dayz"),
    ],
)
def test_a_wrong_value_stops_start_up_naming_the_file_and_the_key(
    tmp_path: Path, line: str, key: str
):
    policy_file = tmp_path / "policy.toml"
    policy_file.write_text(f"[records]\n{line}\n", encoding="utf-8")
    with pytest.raises(PolicyError, match=f"{policy_file}: .*'{key}'"):
        load_policy(policy_file)

    folder = tmp_path / "organisations"
    folder.mkdir()
    (folder / "goteborg.toml").write_text(
        GOTEBORG + f"\n[administrations.records]\n{line}\n", encoding="utf-8"
    )
    with pytest.raises(OrganisationError, match=rf"goteborg.toml: administrations\[1\].{key}"):
        load_organisations(folder)
