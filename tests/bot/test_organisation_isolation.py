"""Isolation between organisations through the real app (issue 15), on SQLite and PostgreSQL.

Two organisation files, two tenants, one database. Whatever a person of one organisation types,
clicks or writes into someone else's conversation, they never reach the other organisation's
channels, consents, communications conversation, answers or approvals.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from domain.clock import FixedClock
from domain.lifecycle import ChannelStatus
from storage.channels import EditorStatus, nominate
from storage.models import ChannelRow, ConsentRow, DocumentationRoundRow, PersonRow
from tests.bot.active_story import png, send_file
from tests.bot.channel_story import Story
from tests.bot.test_organisations_story import OTHER_TENANT, file_request, organisation_folder
from tests.conftest import START, BotFactory
from tests.support.connector_emulator import ConnectorEmulator
from tests.support.factories import TENANT_ID, TeamsUser, make_message, make_user
from tests.support.file_server import FileServer

NOT_ALLOWED = "Du får inte göra det här."
CITY_ADMIN, SOF_ADMIN = make_user(9), make_user(10)
SOF_DEPUTY, KULTUR_DEPUTY = make_user(11), make_user(12)
REGION_ADMIN, REGION_DEPUTY = (
    make_user(13, tenant_id=OTHER_TENANT),
    make_user(14, tenant_id=OTHER_TENANT),
)
NEIGHBOUR = make_user(15, tenant_id=OTHER_TENANT)
UNIT = "Fritidsgården Ugglan"  # form_answers' unit

CITY = f"""
slug = "stad"
name = "Teststaden"
tenant_ids = ["{TENANT_ID}"]
admins = ["{CITY_ADMIN.aad_object_id}"]

[registry]
mailbox = "registrator@stad.example"

[documentation]
records_mailbox = "arkiv@stad.example"

[[administrations]]
slug = "sof"
name = "Skol- och fritidsförvaltningen"
departments = ["Skol- och fritidsförvaltningen"]
admins = ["{SOF_ADMIN.aad_object_id}"]

[[administrations.deputies]]
unit = "{UNIT}"
aad_object_id = "{SOF_DEPUTY.aad_object_id}"

[[administrations]]
slug = "kultur"
name = "Kulturförvaltningen"
departments = ["Kulturförvaltningen"]

[[administrations.deputies]]
unit = "{UNIT}"
aad_object_id = "{KULTUR_DEPUTY.aad_object_id}"
"""

REGION = f"""
slug = "region"
name = "Testregionen"
tenant_ids = ["{OTHER_TENANT}"]
admins = ["{REGION_ADMIN.aad_object_id}"]

[registry]
mailbox = "registrator@region.example"

[channels]
min_editors = 3

[[deputies]]
unit = "{UNIT}"
aad_object_id = "{REGION_DEPUTY.aad_object_id}"
"""


@pytest.fixture
def bot_database_url(database_url: str) -> str:
    """This module runs on SQLite and on PostgreSQL."""
    return database_url


@pytest.fixture
async def story(
    start_bot: BotFactory, emulator: ConnectorEmulator, tmp_path: Path, clock: FixedClock
) -> Story:
    folder = organisation_folder(tmp_path, stad=CITY, region=REGION)
    from bot.settings import Settings

    settings = Settings(organisations_path=folder, files_dir=tmp_path / "files")
    return Story(await start_bot(settings), emulator)


def in_conversation(user: TeamsUser, text: str, story: Story, conversation_id: str) -> dict:
    """A message `user` writes into another conversation (a group chat they share, or a
    forged id): the dialog state there is someone else's."""
    message = make_message(text, user=user, service_url=story.emulator.service_url)
    message["conversation"] = {**message["conversation"], "id": conversation_id}
    return message


async def _person(story: Story, user: TeamsUser) -> PersonRow:
    async with story.bot.sessions() as session:
        found = await session.scalar(
            select(PersonRow).where(PersonRow.aad_object_id == user.aad_object_id)
        )
    assert found is not None
    return found


async def _activate(story: Story, channel_id: int, due: date) -> None:
    async with story.bot.sessions.begin() as session:
        channel = await session.get(ChannelRow, channel_id)
        assert channel is not None
        channel.status = ChannelStatus.ACTIVE.value
        channel.address = "https://www.instagram.com/ugglan"
        channel.start_date = due - timedelta(days=180)
        channel.next_documentation_due = due


async def test_a_documentation_round_is_not_finished_by_someone_of_another_organisation(
    story: Story, files: FileServer, clock: FixedClock
):
    """Issue 15: a multi-turn dialog belongs to the person who began it (its state is kept per
    person) and re-reads them with the organisations; a neighbour writing into the chat
    neither finishes it nor breaks it off."""
    await file_request(story)
    channel = await story.channel()
    editor = story.editor
    await story.say(editor, "hej")
    async with story.bot.sessions.begin() as session:
        person = await session.scalar(
            select(PersonRow).where(PersonRow.aad_object_id == editor.aad_object_id)
        )
        assert person is not None
        await nominate(
            session,
            channel.id,
            person.id,
            by_person_id=person.id,
            now=START,
            status=EditorStatus.ACCEPTED,
        )
    due = clock.now().date() + timedelta(days=10)
    await _activate(story, channel.id, due)

    data = {"channel_id": channel.id, "due": due.isoformat()}
    # Someone of the other organisation cannot begin it with a forged card either.
    forged = await story.click(NEIGHBOUR, "documentation.start", data)
    assert NOT_ALLOWED in str(forged)
    started = await story.click(editor, "documentation.start", data)
    assert "väntar" in str(started)
    await send_file(story, editor, files, "start.png", png(), "png")
    await story.say(editor, "klar")  # one file: it is the start page; the note is asked
    assert "kommentar" in story.emulator.texts(editor.conversation_id)[-1]

    before = len(story.emulator.sent)
    await story.bot.post(
        in_conversation(NEIGHBOUR, "Allt ser bra ut.", story, editor.conversation_id)
    )
    await story.emulator.wait_for_count(before + 1)
    assert "dokumenterad" not in story.emulator.texts(editor.conversation_id)[-1]
    async with story.bot.sessions() as session:
        assert (await session.scalars(select(DocumentationRoundRow))).first() is None
        unchanged = await session.get(ChannelRow, channel.id)
        assert unchanged is not None and unchanged.next_documentation_due == due

    # The editor's own dialog was not touched: their answer still finishes the round.
    await story.say(editor, "Inga kommentarer.")
    assert "dokumenterad" in story.emulator.texts(editor.conversation_id)[-1]
    async with story.bot.sessions() as session:
        round_ = (await session.scalars(select(DocumentationRoundRow))).one()
        assert round_.completed_by_person_id == person.id


@pytest.mark.parametrize(
    "command", ["samtycken", "återkalla samtycke", "radera", "samtycke", "avsluta kanal"]
)
async def test_consents_of_another_organisations_channel_are_never_listed(
    story: Story, command: str
):
    """Issue 15: a person of the region who (by a guest account or moved data) is recorded as
    editor and manager of a city channel sees none of it from the region's tenant: not in
    the consent register, withdrawal, deletion, consent check or closing."""
    await file_request(story)
    channel = await story.channel()
    await story.say(NEIGHBOUR, "hej")
    neighbour = await _person(story, NEIGHBOUR)
    await _activate(story, channel.id, date(2026, 9, 1))
    async with story.bot.sessions.begin() as session:
        await nominate(
            session,
            channel.id,
            neighbour.id,
            by_person_id=neighbour.id,
            now=START,
            status=EditorStatus.ACCEPTED,
        )
        row = await session.get(ChannelRow, channel.id)
        assert row is not None
        row.manager_person_id = neighbour.id
        session.add(
            ConsentRow(
                channel_id=channel.id,
                subject="Elev Stadsson",
                scope="several_contexts",
                form="written",
                recorded_by_person_id=neighbour.id,
                recorded_at=START,
            )
        )

    before = len(story.emulator.sent)
    await story.say(NEIGHBOUR, command)
    replies = [str(r.body) for r in story.emulator.sent[before:]]
    assert replies
    assert not any(channel.name in r or "Stadsson" in r for r in replies)


def _team_message(user: TeamsUser, story: Story, team_channel: str) -> dict[str, Any]:
    message = make_message(
        "kommunikationskanal", user=user, service_url=story.emulator.service_url
    )
    message["conversation"] = {
        "id": team_channel,
        "conversationType": "channel",
        "isGroup": True,
        "tenantId": user.tenant_id,
    }
    return message


async def test_r7_each_organisation_has_its_own_communications_conversation(story: Story):
    """R7, issue 15: an organisation admin picks their organisation's conversation; an
    administration's admin does not; a city plan goes to the city's conversation only."""
    city_team, region_team = "19:stad-kommunikation@thread.tacv2", "19:region@thread.tacv2"
    emulator = story.emulator
    for admin, team in ((CITY_ADMIN, city_team), (REGION_ADMIN, region_team)):
        status, _ = await story.bot.post(_team_message(admin, story, team))
        assert status == 200
        await emulator.wait_for(lambda e, t=team: any("Klart" in x for x in e.texts(t)))
    sof_team = "19:sof@thread.tacv2"
    await story.bot.post(_team_message(SOF_ADMIN, story, sof_team))
    await emulator.wait_for(lambda e: bool(e.texts(sof_team)))
    assert "administratörer" in emulator.texts(sof_team)[-1]

    await file_request(story)
    await emulator.wait_for(lambda e: bool(e.cards(city_team)))
    channel = await story.channel()
    assert channel.name in str(emulator.cards(city_team))
    await story.bot.deliver()
    assert emulator.cards(region_team) == [] and emulator.cards(sof_team) == []

    # The region's admin cannot comment on the city's plan, not even with a forged card.
    forged = {"channel_id": channel.id, "version": channel.version, "comment": "Hej"}
    assert NOT_ALLOWED in str(await story.click(REGION_ADMIN, "comms.comment", forged))


async def test_a_rule_question_is_answered_with_the_askers_organisations_numbers(story: Story):
    """Issue 15: the region wants three editors (R3); the city keeps the guideline's two."""
    await story.say(NEIGHBOUR, "maste jag ha tva redaktorer")
    assert "minst 3 redaktörer" in str(story.emulator.cards(NEIGHBOUR.conversation_id)[-1])
    await story.say(story.requester, "maste jag ha tva redaktorer")
    city = str(story.emulator.cards(story.requester.conversation_id)[-1])
    assert "minst 2 redaktörer" in city and "minst 3" not in city


async def test_r2_only_a_deputy_of_the_channels_own_administration_decides(story: Story):
    """R2, issue 15: a deputy for the same unit name in another administration, or in another
    organisation, never decides; the channel's administration's deputy does."""
    await file_request(story)
    channel = await story.channel()
    assert channel.administration == "sof"
    approve = {"channel_id": channel.id, "version": channel.version, "login_access": "true"}
    for stranger in (KULTUR_DEPUTY, REGION_DEPUTY, SOF_ADMIN, CITY_ADMIN):
        await story.click(stranger, "approval.approve", approve)
        assert (await story.channel()).status == ChannelStatus.PENDING_APPROVAL.value, stranger

    await story.click(SOF_DEPUTY, "approval.approve", approve)
    decided = await story.channel()
    assert decided.status == ChannelStatus.APPROVED.value
    assert decided.decided_by_person_id == (await _person(story, SOF_DEPUTY)).id
