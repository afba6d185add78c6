"""`kanalkollen person export|erase --organisation` (issue 15), in a real process, on SQLite and
PostgreSQL: one organisation's request never exports or erases another's people or consents."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from storage.models import ChannelRow, ConsentRow, PersonRow
from storage.people import ensure_person
from tests.bot.channel_story import Story
from tests.bot.test_organisations_story import CITY, OTHER_TENANT, REGION, file_request
from tests.bot.test_organisations_story import organisation_folder as _folder
from tests.conftest import START, BotFactory
from tests.support.cli import run_kanalkollen
from tests.support.connector_emulator import ConnectorEmulator
from tests.support.factories import TENANT_ID

# One AAD object id and one e-mail in both tenants (a guest, or a shared mailbox).
TWIN = "a0a0a0a0-0000-4000-8000-000000000077"
EMAIL = "tvilling@kanalkollen.example"


@pytest.fixture
def bot_database_url(database_url: str) -> str:
    """This module runs on SQLite and on PostgreSQL."""
    return database_url


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return _folder(tmp_path, stad=CITY, region=REGION)


@pytest.fixture
async def story(
    start_bot: BotFactory, emulator: ConnectorEmulator, folder: Path, tmp_path: Path
) -> Story:
    from bot.settings import Settings

    settings = Settings(organisations_path=folder, files_dir=tmp_path / "files")
    story = Story(await start_bot(settings), emulator)
    async with story.bot.sessions.begin() as session:
        for tenant, name in ((TENANT_ID, "Stadens tvilling"), (OTHER_TENANT, "Regionens")):
            await ensure_person(session, tenant, TWIN, START, name=name, email=EMAIL)
    return story


async def cli(story: Story, folder: Path, tmp_path: Path, *args: str) -> tuple[int, str, str]:
    env = {
        "DATABASE_URL": story.bot.settings.database_url,
        "FILES_DIR": str(story.bot.settings.files_dir),
        "KANALKOLLEN_ORGANISATIONS": str(folder),
    }
    return await run_kanalkollen("person", *args, env=env, cwd=tmp_path)


async def test_an_id_in_two_organisations_needs_organisation_and_gets_only_its_people(
    story: Story, folder: Path, tmp_path: Path
):
    for ident in (EMAIL, TWIN):
        code, out, err = await cli(story, folder, tmp_path, "export", ident)
        assert code == 2 and out == ""
        assert "several organisations (region, stad)" in err and "--organisation" in err
        code, _, err = await cli(story, folder, tmp_path, "erase", ident, "--dry-run")
        assert code == 2 and "--organisation" in err

    code, out, err = await cli(story, folder, tmp_path, "export", EMAIL, "--organisation", "stad")
    assert code == 0, err
    [person] = json.loads(out)["people"]
    assert person["person"]["tenant_id"] == TENANT_ID
    assert "Regionens" not in out

    code, _, err = await cli(story, folder, tmp_path, "export", TWIN, "--organisation", "nowhere")
    assert code == 2 and "nowhere" in err and "region, stad" in err

    code, out, err = await cli(story, folder, tmp_path, "erase", TWIN, "--organisation", "region")
    assert code == 0, err
    async with story.bot.sessions() as session:
        people = {p.tenant_id: p for p in await session.scalars(select(PersonRow))}
    assert people[OTHER_TENANT].email is None  # the region's person is anonymised
    assert people[TENANT_ID].email == EMAIL and people[TENANT_ID].name == "Stadens tvilling"


async def test_a_consent_of_another_organisations_channel_is_not_found(
    story: Story, folder: Path, tmp_path: Path
):
    await file_request(story)
    async with story.bot.sessions.begin() as session:
        channel = (await session.scalars(select(ChannelRow))).one()
        consent = ConsentRow(
            channel_id=channel.id,
            subject="Elev Stadsson",
            scope="one_post",
            form="oral",
            recorded_by_person_id=channel.requester_person_id,
            recorded_at=START,
        )
        session.add(consent)
        await session.flush()
        consent_id = consent.id

    ident = f"consent:{consent_id}"
    code, out, err = await cli(
        story, folder, tmp_path, "export", ident, "--organisation", "region"
    )
    assert code == 1 and "nobody stored matches" in err and "Stadsson" not in out
    code, out, err = await cli(story, folder, tmp_path, "export", ident, "--organisation", "stad")
    assert code == 0 and "Stadsson" in out, err
