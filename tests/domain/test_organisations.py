"""Organisations and administrations: one TOML file per organisation; a wrong file stops
start-up naming the file and the key; an administration's policy is its organisation's with
its own values over it."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.organisation_file import load_organisations
from domain.organisations import (
    DEFAULT_SLUG,
    OrganisationError,
    Organisations,
    single_organisation,
)
from domain.policy import CullingRule, Deputy, Policy, PolicyError, RegistryPolicy
from domain.policy_file import parse_policy

TENANT_A = "7e57c0de-0000-4000-8000-00000000000a"
TENANT_B = "7e57c0de-0000-4000-8000-00000000000b"
ORG_ADMIN = "a0a0a0a0-0000-4000-8000-000000000001"
SOF_ADMIN = "a0a0a0a0-0000-4000-8000-000000000002"
DEPUTY = "a0a0a0a0-0000-4000-8000-000000000003"

GOTEBORG = f"""
slug = "goteborg"
name = "Göteborgs Stad"
tenant_ids = ["{TENANT_A}"]
admins = ["{ORG_ADMIN}"]

[registry]
mailbox = "sociala.medier@goteborg.example"

[channels]
min_editors = 3

[documentation]
records_mailbox = "registrator@goteborg.example"

[[deputies]]
unit = "Stadshuset"
aad_object_id = "{DEPUTY}"

[[administrations]]
slug = "sof"
name = "Skol- och fritidsförvaltningen"
departments = ["Skol- och fritidsförvaltningen", "SoF"]
admins = ["{SOF_ADMIN}"]

[administrations.documentation]
records_mailbox = "registrator.sof@goteborg.example"
repeat_every_days = 3

[administrations.templates]
plan_template_url = "https://intranat.goteborg.example/plan.docx"

[[administrations.deputies]]
unit = "Fritidsgården Ugglan"
aad_object_id = "{DEPUTY}"

[[administrations]]
slug = "kultur"
name = "Kulturförvaltningen"
departments = ["Kulturförvaltningen"]

[administrations.registry]
mailbox = "kultur@goteborg.example"

[administrations.channels]
min_editors = 4
max_editors = 12
"""

MOLNDAL = f"""
slug = "molndal"
name = "Mölndals stad"
tenant_ids = ["{TENANT_B.upper()}"]
"""


def _folder(tmp_path: Path, **files: str) -> Path:
    folder = tmp_path / "organisations"
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / f"{name}.toml").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def organisations(tmp_path: Path) -> Organisations:
    return load_organisations(_folder(tmp_path, goteborg=GOTEBORG, molndal=MOLNDAL))


def test_each_file_is_one_organisation_found_by_tenant_and_by_slug(organisations):
    goteborg = organisations.by_slug("goteborg")
    molndal = organisations.by_slug("molndal")

    assert [o.slug for o in organisations] == ["goteborg", "molndal"]
    assert goteborg is not None and molndal is not None
    assert organisations.for_tenant(TENANT_A) is goteborg
    # Tenant ids compare in lower case, whatever the file or Teams sends.
    assert organisations.for_tenant(TENANT_B) is molndal
    assert organisations.for_tenant(TENANT_B.upper()) is molndal
    assert organisations.for_tenant("7e57c0de-0000-4000-8000-0000000000ff") is None
    assert organisations.for_tenant(None) is None
    assert organisations.by_slug("uddevalla") is None
    assert organisations.default is None
    assert organisations.tenant_ids == {TENANT_A, TENANT_B}
    assert (goteborg.name, goteborg.policy.channels.min_editors) == ("Göteborgs Stad", 3)


def test_an_administration_puts_its_values_over_the_organisations_policy(organisations):
    goteborg = organisations.by_slug("goteborg")
    assert goteborg is not None
    sof, kultur = goteborg.administration("sof"), goteborg.administration("kultur")
    assert sof is not None and kultur is not None

    assert sof.policy.documentation.records_mailbox == "registrator.sof@goteborg.example"
    assert sof.policy.documentation.repeat_every_days == 3
    # Keys it does not name keep the organisation's values.
    assert sof.policy.registry.mailbox == "sociala.medier@goteborg.example"
    assert sof.policy.channels.min_editors == 3
    assert sof.policy.documentation.reminder_days_before == 14
    assert sof.policy.templates.plan_template_url.endswith("/plan.docx")
    assert kultur.policy.registry.mailbox == "kultur@goteborg.example"
    assert kultur.policy.documentation.records_mailbox == "registrator@goteborg.example"
    assert (kultur.policy.channels.min_editors, kultur.policy.channels.max_editors) == (4, 12)
    # The public list names the administration as responsible.
    assert sof.policy.registry.administration == "Skol- och fritidsförvaltningen"


def test_admins_and_deputies_of_an_administration_add_to_the_organisations(organisations):
    goteborg = organisations.by_slug("goteborg")
    assert goteborg is not None
    sof, kultur = goteborg.administrations

    assert sof.admins == (SOF_ADMIN,)
    assert sof.policy.admins == (ORG_ADMIN, SOF_ADMIN)
    assert kultur.policy.admins == (ORG_ADMIN,)
    assert sof.deputies == (Deputy("Fritidsgården Ugglan", DEPUTY),)
    assert sof.policy.deputies_for("Stadshuset") == (DEPUTY,)
    assert sof.policy.deputies_for("fritidsgården ugglan") == (DEPUTY,)
    assert kultur.policy.deputies_for("Fritidsgården Ugglan") == ()


def test_an_admin_sees_their_administration_and_an_organisation_admin_sees_all(organisations):
    goteborg = organisations.by_slug("goteborg")
    assert goteborg is not None

    assert [a.slug for a in goteborg.administered_by(ORG_ADMIN)] == ["sof", "kultur"]
    assert [a.slug for a in goteborg.administered_by(SOF_ADMIN)] == ["sof"]
    assert goteborg.administered_by("a0a0a0a0-0000-4000-8000-000000000099") == ()
    assert goteborg.administered_by(None) == ()
    assert goteborg.is_organisation_admin(ORG_ADMIN)
    assert not goteborg.is_organisation_admin(SOF_ADMIN)


@pytest.mark.parametrize(
    ("department", "slug"),
    [
        ("Skol- och fritidsförvaltningen", "sof"),
        ("  skol-  och FRITIDSförvaltningen ", "sof"),
        ("SOF", "sof"),
        ("Kulturförvaltningen", "kultur"),
        ("Stadsledningskontoret", None),
        ("", None),
        (None, None),
    ],
)
def test_the_requesters_department_chooses_the_administration(organisations, department, slug):
    goteborg = organisations.by_slug("goteborg")
    assert goteborg is not None

    found = goteborg.administration_for(department)

    assert (found.slug if found else None) == slug


def test_an_organisation_without_administrations_has_the_default_one(organisations):
    molndal = organisations.by_slug("molndal")
    assert molndal is not None

    (only,) = molndal.administrations
    assert (only.slug, only.name) == (DEFAULT_SLUG, RegistryPolicy().administration)
    assert only.policy == molndal.policy == Policy()
    assert molndal.default_administration is only
    assert molndal.administration_for("Vilken som helst") is only
    assert molndal.administration_for(None) is only


def test_the_single_policy_is_one_organisation_serving_the_allowed_tenants():
    policy = parse_policy('admins = ["x"]\n[registry]\nmailbox = "r@stad.example"\n')

    organisations = single_organisation(policy, tenant_ids={TENANT_A.upper()})

    organisation = organisations.default
    assert organisation is not None
    assert (organisation.slug, organisation.policy, organisation.admins) == (
        DEFAULT_SLUG,
        policy,
        ("x",),
    )
    assert organisations.for_tenant(TENANT_A) is organisation
    assert organisations.for_tenant(TENANT_B) is None
    (administration,) = organisation.administrations
    assert (administration.slug, administration.policy) == (DEFAULT_SLUG, policy)
    assert organisation.administration_for("Okänd") is administration


def test_the_single_policy_without_an_allow_list_serves_every_tenant():
    organisations = single_organisation(Policy(), slug="stad", name="Staden")

    organisation = organisations.default
    assert organisation is not None
    assert (organisation.slug, organisation.name) == ("stad", "Staden")
    assert organisations.for_tenant(TENANT_B) is organisation
    assert organisations.for_tenant(None) is organisation


def test_a_single_policys_slug_must_be_url_safe():
    with pytest.raises(OrganisationError, match="slug"):
        single_organisation(Policy(), slug="Göteborg")


def test_an_organisation_error_is_a_policy_error_for_start_up():
    assert issubclass(OrganisationError, PolicyError)


ADMINISTRATION = """
slug = "goteborg"
name = "Göteborgs Stad"
tenant_ids = ["7e57c0de-0000-4000-8000-00000000000a"]

[[administrations]]
slug = "sof"
name = "Skol- och fritidsförvaltningen"

[[administrations]]
slug = "kultur"
name = "Kulturförvaltningen"
"""


@pytest.mark.parametrize(
    ("text", "named"),
    [
        (ADMINISTRATION.replace('slug = "goteborg"', ""), "slug: must be"),
        (ADMINISTRATION.replace('"goteborg"', '"Göteborg"'), "slug: must be"),
        (ADMINISTRATION.replace('"goteborg"', '"gbg/sof"'), "slug: must be a URL-safe"),
        (ADMINISTRATION.replace('"goteborg"', '"-gbg"'), "slug: must be a URL-safe"),
        (
            ADMINISTRATION.replace('name = "Göteborgs Stad"', ""),
            "name: is required",
        ),
        (
            ADMINISTRATION.replace('["7e57c0de-0000-4000-8000-00000000000a"]', "[]"),
            "tenant_ids: must name at least one",
        ),
        (
            ADMINISTRATION.replace('tenant_ids = ["7e57c0de-0000-4000-8000-00000000000a"]', ""),
            "tenant_ids: must name at least one",
        ),
        (
            ADMINISTRATION.replace(
                '"7e57c0de-0000-4000-8000-00000000000a"', '"goteborg.onmicrosoft.com"'
            ),
            "tenant_ids: 'goteborg.onmicrosoft.com' is not an Entra tenant id",
        ),
        (
            'slug = "g"\nname = "G"\ntenant_ids = []\nadministrations = "sof"\n'.replace(
                "[]", f'["{TENANT_A}"]'
            ),
            "administrations: must be",
        ),
        (
            ADMINISTRATION.replace("[[administrations]]", "colour = 1\n[[administrations]]", 1),
            "colour: unknown key",
        ),
        (
            ADMINISTRATION.replace(
                "[[administrations]]", "[registry]\nmailbox = 'x'\n\n[[administrations]]", 1
            ),
            "registry.mailbox: must be an e-mail address",
        ),
        (
            ADMINISTRATION + "[administrations.registry]\nmailbox = 'kultur'\n",
            (r"administrations\[1\].registry.mailbox: must be an e-mail address"),
        ),
        (
            ADMINISTRATION + "[administrations.channels]\nmin_editors = 1\n",
            r"administrations\[1\].channels.min_editors: must be at least 2 \(R3\)",
        ),
        (
            ADMINISTRATION + "[administrations.channels]\nmin_editors = 'två'\n",
            r"administrations\[1\].channels.min_editors: must be of type int",
        ),
        (
            ADMINISTRATION + "[administrations.delivery]\nmax_attempts = 3\n",
            r"administrations\[1\].delivery: is the organisation's; an administration may set",
        ),
        (
            ADMINISTRATION + "[administrations.documentation]\ntime_zone = 'UTC'\n",
            r"administrations\[1\].documentation.time_zone: is the organisation's",
        ),
        (
            ADMINISTRATION + "[administrations.documentation]\nrecord_mailbox = 'x@y.example'\n",
            r"administrations\[1\].documentation.record_mailbox: unknown key",
        ),
        (ADMINISTRATION + "colour = 'blå'\n", r"administrations\[1\].colour: unknown key"),
        (ADMINISTRATION + "admins = 'x'\n", r"administrations\[1\].admins: must be a list"),
        (
            ADMINISTRATION + "[[administrations.deputies]]\nunit = 'Ugglan'\n",
            r"administrations\[1\].deputies\[0\].aad_object_id: is required",
        ),
        (
            ADMINISTRATION.replace('slug = "kultur"', 'slug = "sof"'),
            r"administrations\[1\].slug: 'sof' is used twice",
        ),
        (
            ADMINISTRATION.replace('slug = "kultur"', 'slug = "Kultur"'),
            r"administrations\[1\].slug: must be a URL-safe",
        ),
        (
            ADMINISTRATION.replace('name = "Kulturförvaltningen"', ""),
            r"administrations\[1\].name: is required",
        ),
        (
            ADMINISTRATION.replace(
                'name = "Kulturförvaltningen"',
                'name = "Kulturförvaltningen"\ndepartments = ["Kultur", "kultur "]',
            ).replace(
                'name = "Skol- och fritidsförvaltningen"',
                'name = "Skol- och fritidsförvaltningen"\ndepartments = ["KULTUR"]',
            ),
            r"administrations\[1\].departments: 'Kultur' already belongs to administration 'sof'",
        ),
        (
            ADMINISTRATION + "departments = 'Kultur'\n",
            r"administrations\[1\].departments: must be a list",
        ),
        ('slug = "g"\nname = "G"\ntenant_ids = [\n', "not valid TOML"),
    ],
)
def test_a_wrong_file_is_named_with_its_key(tmp_path: Path, text: str, named: str):
    folder = _folder(tmp_path, goteborg=text)

    with pytest.raises(OrganisationError, match=f"organisations/goteborg.toml: {named}"):
        load_organisations(folder)


def test_a_slug_used_by_two_files_is_refused(tmp_path: Path):
    folder = _folder(tmp_path, a=MOLNDAL, b=MOLNDAL.replace(TENANT_B.upper(), TENANT_A))

    with pytest.raises(OrganisationError, match=r"b.toml: slug: 'molndal' is already .*a.toml"):
        load_organisations(folder)


def test_a_tenant_in_two_organisations_is_refused(tmp_path: Path):
    folder = _folder(tmp_path, a=MOLNDAL, b=MOLNDAL.replace("molndal", "kungsbacka"))

    with pytest.raises(
        OrganisationError, match=rf"b.toml: tenant_ids: {TENANT_B} already .*a.toml"
    ):
        load_organisations(folder)


def test_a_missing_or_empty_folder_is_refused(tmp_path: Path):
    with pytest.raises(OrganisationError, match="Cannot read the organisations folder"):
        load_organisations(tmp_path / "missing")
    with pytest.raises(OrganisationError, match=r"has no \*.toml file"):
        load_organisations(_folder(tmp_path))


def test_other_files_in_the_folder_are_ignored(tmp_path: Path):
    folder = _folder(tmp_path, molndal=MOLNDAL)
    (folder / "README.md").write_text("Not an organisation.", encoding="utf-8")

    assert [o.slug for o in load_organisations(folder)] == ["molndal"]


def test_a_deployment_refuses_example_mailboxes_in_any_administration(tmp_path: Path):
    # Mailboxes on a domain that could be real, but for one example address.
    text = GOTEBORG.replace("goteborg.example", "goteborg.se").replace(
        "kultur@goteborg.se", "kultur@example.org"
    )
    folder = _folder(tmp_path, goteborg=text)

    assert load_organisations(folder).by_slug("goteborg") is not None
    with pytest.raises(OrganisationError, match="administrations 'kultur'"):
        load_organisations(folder, deployed=True)


def test_culling_rules_follow_the_administrations_records_plan(tmp_path: Path):
    text = ADMINISTRATION + "[[administrations.records.culling]]\nkind = 'post'\nrule = 'keep'\n"

    goteborg = load_organisations(_folder(tmp_path, goteborg=text)).by_slug("goteborg")

    assert goteborg is not None
    sof, kultur = goteborg.administrations
    assert kultur.policy.records.culling == (CullingRule("post", "keep"),)
    assert sof.policy.records.rule_for("post") == "capture"


def test_answers_folder_is_relative_to_the_organisation_file(tmp_path: Path):
    folder = _folder(tmp_path, molndal=MOLNDAL + '\n[answers]\nextra_dir = "svar"\n')
    (folder / "svar").mkdir()

    molndal = load_organisations(folder).by_slug("molndal")

    assert molndal is not None
    assert molndal.policy.answers.extra_dir == str((folder / "svar").resolve())
    assert molndal.administrations[0].policy.answers.extra_dir == str((folder / "svar").resolve())


def test_two_catch_all_organisations_cannot_share_a_deployment():
    one = single_organisation(Policy()).organisations[0]
    other = single_organisation(Policy(), slug="other").organisations[0]

    with pytest.raises(OrganisationError, match="tenant_ids: must name at least one"):
        Organisations((one, other))


def test_the_example_organisations_folder_is_valid():
    folder = Path(__file__).resolve().parents[2] / "organisations.example"

    (goteborg,) = load_organisations(folder)

    assert [a.slug for a in goteborg.administrations] == ["sof", "kultur"]
    assert goteborg.administrations[1].policy.channels.min_editors == 3
