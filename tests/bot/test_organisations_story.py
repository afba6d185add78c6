"""Organisations through the real app: two organisation files, two tenants, one database.

A person of one organisation never sees, approves or acts on a channel of another, not even
with a forged card; a channel belongs to an administration, from the requester's directory
department or chosen on the form; a wrong organisation file stops start-up.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import select

from bot.app import create_app
from bot.settings import Settings, SettingsError, settings_from
from domain.lifecycle import ChannelStatus
from domain.organisations import OrganisationError
from storage.models import ChannelRow
from tests.bot.channel_story import Story, form_answers
from tests.conftest import BotFactory
from tests.support.connector_emulator import ConnectorEmulator
from tests.support.factories import TENANT_ID, make_message, make_user
from tests.support.fake_graph import FakeGraph

OTHER_TENANT = "7e57c0de-0000-4000-8000-00000000000b"
NOT_ALLOWED = "Du får inte göra det här."

CITY = f"""
slug = "stad"
name = "Teststaden"
tenant_ids = ["{TENANT_ID}"]

[registry]
mailbox = "registrator@stad.example"

[[administrations]]
slug = "sof"
name = "Skol- och fritidsförvaltningen"
departments = ["Skol- och fritidsförvaltningen"]

[[administrations]]
slug = "kultur"
name = "Kulturförvaltningen"
departments = ["Kulturförvaltningen"]
[administrations.channels]
min_editors = 3
"""

REGION = f"""
slug = "region"
name = "Testregionen"
tenant_ids = ["{OTHER_TENANT}"]

[registry]
mailbox = "registrator@region.example"
"""


@pytest.fixture
def bot_database_url(database_url: str) -> str:
    """This module runs on SQLite and on PostgreSQL."""
    return database_url


def organisation_folder(root: Path, **files: str) -> Path:
    folder = root / "organisations"
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / f"{name}.toml").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def organisations(tmp_path: Path) -> Path:
    return organisation_folder(tmp_path, stad=CITY, region=REGION)


@pytest.fixture
async def story(
    start_bot: BotFactory, emulator: ConnectorEmulator, organisations: Path, tmp_path: Path
) -> Story:
    settings = Settings(organisations_path=organisations, files_dir=tmp_path / "files")
    return Story(await start_bot(settings), emulator)


async def file_request(story: Story, **overrides: str) -> tuple[str, dict]:
    """The city's requester files a request for Skol- och fritidsförvaltningen."""
    await story.say(story.requester, "ny kanal")
    form_id, _ = story.last_card_to(story.requester.conversation_id)
    answers = form_answers(story.editor, story.manager, administration="sof", **overrides)
    body = await story.click(story.requester, "channel.submit", answers, reply_to_id=form_id)
    return form_id, body


def _input(card: dict, input_id: str) -> dict | None:
    return next((e for e in card["body"] if e.get("id") == input_id), None)


async def test_another_organisations_manager_cannot_approve_with_a_forged_card(story: Story):
    await file_request(story)
    channel = await story.channel()
    assert (channel.organisation, channel.administration) == ("stad", "sof")
    intruder = make_user(7, tenant_id=OTHER_TENANT)

    forged = {"channel_id": channel.id, "version": channel.version, "login_access": "true"}
    body = await story.click(intruder, "approval.approve", forged)
    assert NOT_ALLOWED in str(body)
    refresh = await story.click(intruder, "approval.refresh", {"channel_id": channel.id})
    assert channel.name not in str(refresh)
    verbs = ("channel.status", "editor.nominate", "channel.register", "comms.comment")
    for verb in (*verbs, "documentation.start", "closing.start"):
        answer = await story.click(intruder, verb, {"channel_id": channel.id, "editors": "x"})
        assert NOT_ALLOWED in str(answer), verb

    async with story.bot.sessions() as session:
        unchanged = await session.get(ChannelRow, channel.id)
        assert unchanged is not None
        assert unchanged.status == ChannelStatus.PENDING_APPROVAL.value
        assert unchanged.decided_by_person_id is None


async def test_my_channels_of_another_organisation_never_lists_the_channel(story: Story):
    await file_request(story)
    channel = await story.channel()

    await story.say(story.requester, "mina kanaler")
    _, mine = story.last_card_to(story.requester.conversation_id)
    assert channel.name in str(mine)

    stranger = make_user(8, tenant_id=OTHER_TENANT)
    await story.say(stranger, "mina kanaler")
    _, theirs = story.last_card_to(stranger.conversation_id)
    assert channel.name not in str(theirs)


async def test_the_form_asks_for_the_administration_when_the_department_is_unknown(
    story: Story,
):
    await story.say(story.requester, "ny kanal")
    form_id, form = story.last_card_to(story.requester.conversation_id)
    choice = _input(form, "administration")
    assert choice is not None
    assert [c["value"] for c in choice["choices"]] == ["sof", "kultur"]

    answers = form_answers(story.editor, story.manager)
    again = await story.click(story.requester, "channel.submit", answers, reply_to_id=form_id)
    assert "Välj den förvaltning som kanalen hör till." in str(again)
    async with story.bot.sessions() as session:
        assert (await session.scalars(select(ChannelRow))).first() is None

    # R3: Kulturförvaltningen wants three editors; its own minimum applies.
    answers = form_answers(story.editor, story.manager, administration="kultur")
    again = await story.click(story.requester, "channel.submit", answers, reply_to_id=form_id)
    assert "minst 3 redaktörer" in str(again)

    editors = f"{story.editor.aad_object_id},{make_user(4).aad_object_id}"
    answers = form_answers(story.editor, story.manager, administration="kultur", editors=editors)
    await story.click(story.requester, "channel.submit", answers, reply_to_id=form_id)
    channel = await story.channel()
    assert (channel.organisation, channel.administration) == ("stad", "kultur")


async def test_a_single_administration_organisation_does_not_ask(story: Story):
    neighbour = make_user(9, tenant_id=OTHER_TENANT)
    await story.say(neighbour, "ny kanal")
    _, form = story.last_card_to(neighbour.conversation_id)
    assert _input(form, "administration") is None


@pytest.fixture
async def graph() -> AsyncIterator[FakeGraph]:
    async with FakeGraph(tenant_id=TENANT_ID) as fake:
        yield fake


async def test_the_administration_comes_from_the_directory_department(
    start_bot: BotFactory,
    emulator: ConnectorEmulator,
    graph: FakeGraph,
    organisations: Path,
    tmp_path: Path,
):
    settings = graph.bot_settings(
        organisations_path=organisations,
        files_dir=tmp_path / "files",
    )
    story = Story(await start_bot(settings), emulator)
    graph.add_user(
        story.manager.aad_object_id, "Rektor Testsson", "rektor@stad.example", "rektor@stad.ex"
    )
    graph.add_user(
        story.requester.aad_object_id,
        story.requester.name,
        story.requester.email,
        story.requester.email or "",
        manager_id=story.manager.aad_object_id,
        department="  skol- och  FRITIDSförvaltningen ",
    )

    await story.say(story.requester, "ny kanal")
    form_id, form = story.last_card_to(story.requester.conversation_id)
    assert _input(form, "administration") is None  # the directory told

    await story.click(
        story.requester, "channel.submit", form_answers(story.editor, None), reply_to_id=form_id
    )
    channel = await story.channel()
    assert channel.status == ChannelStatus.PENDING_APPROVAL.value
    assert (channel.organisation, channel.administration) == ("stad", "sof")


def test_a_broken_organisation_file_stops_start_up_naming_file_and_key(tmp_path: Path):
    broken = CITY.replace("min_editors = 3", "min_editors = 'tre'")
    folder = organisation_folder(tmp_path, stad=broken, region=REGION)
    with pytest.raises(OrganisationError) as error:
        create_app(Settings(organisations_path=folder, files_dir=tmp_path / "files"))
    assert "stad.toml" in str(error.value)
    assert "administrations[1].channels.min_editors" in str(error.value)


def test_allowed_tenants_outside_the_organisations_stop_start_up(tmp_path: Path):
    folder = organisation_folder(tmp_path, stad=CITY, region=REGION)
    stray = "7e57c0de-0000-4000-8000-0000000000ff"
    settings = Settings(
        organisations_path=folder,
        allowed_tenants=frozenset({TENANT_ID, stray}),
        files_dir=tmp_path / "files",
    )
    with pytest.raises(OrganisationError) as error:
        create_app(settings)
    assert stray in str(error.value) and "ALLOWED_TENANTS" in str(error.value)
    assert "KANALKOLLEN_ORGANISATIONS" in str(error.value)


async def test_channels_of_an_organisation_no_file_names_stop_start_up(
    start_bot: BotFactory,
    emulator: ConnectorEmulator,
    bot_database_url: str,
    tmp_path: Path,
):
    # A single-policy deployment files a channel: it belongs to organisation "default".
    before = Story(await start_bot(), emulator)
    await file_request(before)
    assert (await before.channel()).organisation == "default"

    folder = organisation_folder(tmp_path, stad=CITY, region=REGION)
    settings = Settings(
        organisations_path=folder, database_url=bot_database_url, files_dir=tmp_path / "f"
    )
    runner = web.AppRunner(create_app(settings, deliver=False, schedule=False))
    with pytest.raises(OrganisationError) as error:
        await runner.setup()
    await runner.cleanup()
    assert "'default'" in str(error.value) and "no organisation file" in str(error.value)


async def test_a_tenant_no_organisation_serves_is_refused(story: Story):
    outsider = make_user(5, tenant_id="7e57c0de-0000-4000-8000-0000000000ee")
    status, _ = await story.bot.post(
        make_message("ny kanal", user=outsider, service_url=story.emulator.service_url)
    )
    assert status == 403


async def test_register_shows_an_admin_their_administrations_with_counts_per_administration(
    start_bot: BotFactory, emulator: ConnectorEmulator, tmp_path: Path
):
    """Issue 15: an organisation admin sees every administration of theirs, counted one by
    one; an administration's admin only its own channels; another organisation's admin none."""
    city_admin, culture_admin = make_user(9), make_user(10)
    region_admin = make_user(11, tenant_id=OTHER_TENANT)
    city = CITY.replace(
        f'tenant_ids = ["{TENANT_ID}"]\n',
        f'tenant_ids = ["{TENANT_ID}"]\nadmins = ["{city_admin.aad_object_id}"]\n',
    ).replace(
        'departments = ["Kulturförvaltningen"]\n',
        f'departments = ["Kulturförvaltningen"]\nadmins = ["{culture_admin.aad_object_id}"]\n',
    )
    region = REGION.replace(
        f'tenant_ids = ["{OTHER_TENANT}"]\n',
        f'tenant_ids = ["{OTHER_TENANT}"]\nadmins = ["{region_admin.aad_object_id}"]\n',
    )
    folder = organisation_folder(tmp_path, stad=city, region=region)
    settings = Settings(organisations_path=folder, files_dir=tmp_path / "files")
    story = Story(await start_bot(settings), emulator)
    await file_request(story)
    channel = await story.channel()
    assert channel.administration == "sof"

    await story.say(city_admin, "register")
    _, whole = story.last_card_to(city_admin.conversation_id)
    assert "Per förvaltning" in str(whole)
    assert "Skol- och fritidsförvaltningen" in str(whole) and "Kulturförvaltningen" in str(whole)
    assert "'1'" in str(whole)  # the one channel, waiting for its manager

    await story.say(culture_admin, "register")
    _, culture = story.last_card_to(culture_admin.conversation_id)
    assert "Kulturförvaltningen" in str(culture)
    assert "Skol- och fritidsförvaltningen" not in str(culture) and "'1'" not in str(culture)

    await story.say(region_admin, "register")
    _, region_card = story.last_card_to(region_admin.conversation_id)
    assert "'1'" not in str(region_card) and "Per förvaltning" not in str(region_card)

    # Each admin's CSV link is their own organisation's list, narrowed to their administration.
    def csv_link(card: dict) -> str:
        return next(
            a["url"]
            for a in card.get("actions", [])
            if str(a.get("url", "")).endswith(".csv") or ".csv?" in str(a.get("url", ""))
        )

    assert csv_link(whole).endswith("/registry/stad.csv")
    assert csv_link(culture).endswith("/registry/stad.csv?administration=kultur")
    assert csv_link(region_card).endswith("/registry/region.csv")


async def test_each_organisations_people_are_looked_up_in_their_own_tenant(
    start_bot: BotFactory, emulator: ConnectorEmulator, organisations: Path, tmp_path: Path
):
    """GRAPH_TENANT_ID=organizations: one multi-tenant app registration, a token from each
    organisation's own authority; the region's requester gets their manager from the region's
    directory, and the city's directory is never asked about the region's people."""
    async with FakeGraph(tenant_id=TENANT_ID, other_tenants=(OTHER_TENANT,)) as fake:
        settings = fake.bot_settings(
            organisations_path=organisations,
            files_dir=tmp_path / "files",
            graph_tenant_id="organizations",
        )
        story = Story(await start_bot(settings), emulator)
        requester = make_user(12, tenant_id=OTHER_TENANT)
        boss = make_user(13, tenant_id=OTHER_TENANT)
        requester.add_to(emulator)
        fake.add_user(
            boss.aad_object_id,
            "Chef Regionsson",
            boss.email,
            boss.email or "",
            tenant_id=OTHER_TENANT,
        )
        fake.add_user(
            requester.aad_object_id,
            requester.name,
            requester.email,
            requester.email or "",
            manager_id=boss.aad_object_id,
            tenant_id=OTHER_TENANT,
        )
        # The same person id in the city's directory must never be what the region sees.
        fake.add_user(requester.aad_object_id + "-city", "Fel Person", None, "fel@stad.example")

        await story.say(requester, "ny kanal")
        _, form = story.last_card_to(requester.conversation_id)
        assert "Chef Regionsson" in str(form)  # the manager, from the region's directory
        tenants = {r.path.split("/")[1] for r in fake.token_requests}
        assert tenants == {OTHER_TENANT}


def test_organizations_as_graph_tenant_needs_organisation_files(tmp_path: Path):
    environ = {
        "GRAPH_TENANT_ID": "organizations",
        "GRAPH_CLIENT_ID": "app",
        "GRAPH_CLIENT_SECRET": "secret",
    }
    with pytest.raises(SettingsError, match="KANALKOLLEN_ORGANISATIONS"):
        settings_from(environ)
    folder = organisation_folder(tmp_path, stad=CITY)
    with pytest.raises(SettingsError, match="MAIL_TRANSPORT=graph"):
        settings_from(
            {
                **environ,
                "KANALKOLLEN_ORGANISATIONS": str(folder),
                "MAIL_TRANSPORT": "graph",
                "MAIL_FROM": "kanalkollen@stad.example",
            }
        )


async def test_one_organisations_administration_admin_gets_their_administrations_csv(
    start_bot: BotFactory, emulator: ConnectorEmulator, tmp_path: Path
):
    """R8: with one organisation /registry.csv is its list; an admin of one of its
    administrations is linked to that administration's part of it (found in the Playground)."""
    culture_admin = make_user(10)
    city = CITY.replace(
        'departments = ["Kulturförvaltningen"]\n',
        f'departments = ["Kulturförvaltningen"]\nadmins = ["{culture_admin.aad_object_id}"]\n',
    )
    folder = organisation_folder(tmp_path, stad=city)
    story = Story(
        await start_bot(Settings(organisations_path=folder, files_dir=tmp_path / "files")),
        emulator,
    )
    await story.say(culture_admin, "register")
    _, card = story.last_card_to(culture_admin.conversation_id)
    [link] = [a["url"] for a in card["actions"] if ".csv" in str(a.get("url", ""))]
    assert link.endswith("/registry.csv?administration=kultur")
    async with aiohttp.ClientSession() as http, http.get(link) as response:
        assert response.status == 200  # the link works: the part of the list it names
