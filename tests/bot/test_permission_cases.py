"""Issue 23: the four cases the review found, each through the real HTTP app (SQLite and
PostgreSQL). Each failed before permissions were declared per verb."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.settings import Settings
from domain.lifecycle import ChannelStatus
from domain.policy import Deputy, Policy
from tests.bot.channel_story import Story, form_answers
from tests.bot.test_organisation_isolation import CITY, REGION, SOF_ADMIN, SOF_DEPUTY
from tests.bot.test_organisations_story import file_request, organisation_folder
from tests.bot.test_permission_matrix import COMMS_TEAM, team_conversation
from tests.conftest import BotFactory
from tests.support.connector_emulator import ConnectorEmulator
from tests.support.factories import TENANT_ID, make_execute, make_message, make_user
from tests.support.fake_graph import FakeGraph

NOT_ALLOWED = "Du får inte göra det här."


def _text(body: object) -> str:
    return json.dumps(body, ensure_ascii=False)


OUTSIDER = make_user(18)
COMMS = make_user(19)
PLAN_TEXT = ("Fler besökare", "Enhetens lösenordsvalv", "/files/", "testperson.")


@pytest.fixture
def bot_database_url(database_url: str) -> str:
    """This module runs on SQLite and on PostgreSQL."""
    return database_url


@pytest.fixture
async def story(start_bot: BotFactory, emulator: ConnectorEmulator, tmp_path: Path) -> Story:
    folder = organisation_folder(tmp_path, stad=CITY, region=REGION)
    settings = Settings(organisations_path=folder, files_dir=tmp_path / "files")
    # Deliveries only when the test drains the outbox.
    return Story(await start_bot(settings, deliver=False, schedule=False), emulator)


async def test_case_1_approval_verbs_show_an_employee_without_a_role_nothing(story: Story):
    """Before: approval.refresh/approve/reject/changes answered the whole approval card, with
    the plan, the login reference, e-mail addresses and a signed link to the plan."""
    await file_request(story)
    channel = await story.channel()
    data = {"channel_id": channel.id, "version": channel.version, "login_access": "true"}
    await story.click(story.manager, "approval.approve", data)
    assert (await story.channel()).status == ChannelStatus.APPROVED.value

    for verb in ("approval.refresh", "approval.approve", "approval.reject", "approval.changes"):
        body = await story.click(OUTSIDER, verb, {**data, "comment": "x"})
        assert body["value"] == NOT_ALLOWED, verb

    # An admin of the administration sees the status only: no plan, login, people or files.
    admin_view = _text(await story.click(SOF_ADMIN, "approval.refresh", data))
    assert channel.name in admin_view
    for secret in PLAN_TEXT:
        assert secret not in admin_view, secret
    # The requester, who takes part, sees the plan.
    assert "Fler besökare" in _text(await story.click(story.requester, "approval.refresh", data))


async def test_case_2_only_the_communications_conversation_comments_and_the_requester_sees_who(
    story: Story,
):
    """R7. Before: anyone's comms.comment was sent to the requester under their own name."""
    url = story.emulator.service_url
    city_admin_pick = make_message("kommunikationskanal", user=make_user(9), service_url=url)
    city_admin_pick["conversation"] = {**team_conversation(make_user(9)), "id": COMMS_TEAM}
    await story.bot.post(city_admin_pick)
    await file_request(story)
    channel = await story.channel()
    comment = {"channel_id": channel.id, "version": channel.version, "comment": "Bra plan!"}
    await story.bot.deliver()
    sent = len(story.emulator.sent)

    body = await story.click(OUTSIDER, "comms.comment", comment)
    assert body["value"] == NOT_ALLOWED
    await story.bot.deliver()
    assert len(story.emulator.sent) == sent  # the requester was told nothing

    status, body = await story.bot.post(
        {
            **make_execute(
                "comms.comment", {**comment, "verb": "comms.comment"}, user=COMMS, service_url=url
            ),
            "conversation": team_conversation(COMMS),
        }
    )
    assert status == 200 and body["value"] != NOT_ALLOWED
    await story.bot.deliver()
    told = [t for t in story.emulator.texts(story.requester.conversation_id) if "Bra plan!" in t]
    assert "Testperson 19" in told[-1]  # who wrote it


async def test_case_3_closing_confirm_and_editor_replace_name_nothing(story: Story):
    """Before: they answered with channel names, file names and editor names."""
    await file_request(story)
    channel = await story.channel()
    for verb, data in (
        ("closing.confirm", {"closing_id": 1, "channel_id": channel.id}),
        ("editor.replace", {"channel_id": channel.id, "editor_id": 1, "replacement": "x"}),
    ):
        body = await story.click(OUTSIDER, verb, data)
        assert body["value"] == NOT_ALLOWED, verb


async def test_case_4_a_deputy_never_decides_their_own_request_the_manager_does(story: Story):
    """R2. Before: a deputy asking for a channel of a unit they are deputy for approved it."""
    deputy = SOF_DEPUTY
    await story.say(deputy, "ny kanal")
    form_id, _ = story.last_card_to(deputy.conversation_id)
    answers = form_answers(story.editor, story.manager, administration="sof")
    await story.click(deputy, "channel.submit", answers, reply_to_id=form_id)
    channel = await story.channel()
    assert channel.unit == "Fritidsgården Ugglan"  # the unit SOF_DEPUTY is deputy for
    approve = {"channel_id": channel.id, "version": channel.version, "login_access": "true"}

    body = await story.click(deputy, "approval.approve", approve)
    assert body["value"] == NOT_ALLOWED
    assert (await story.channel()).status == ChannelStatus.PENDING_APPROVAL.value

    await story.click(story.manager, "approval.approve", approve)
    decided = await story.channel()
    assert decided.status == ChannelStatus.APPROVED.value
    assert decided.decided_by_person_id == decided.manager_person_id
    assert decided.decided_by_person_id != decided.requester_person_id


async def test_bad_card_data_gets_a_clear_answer_in_the_persons_language_and_changes_nothing(
    story: Story,
):
    """Issue 23: data that does not fit the verb's declaration (an id that is no id, a text
    over the limit) is refused before anything is read or written."""
    await file_request(story)
    channel = await story.channel()
    before = (channel.status, channel.version)
    bad = {"channel_id": "1; DROP TABLE channels", "version": channel.version}
    swedish = await story.click(story.manager, "approval.approve", bad)
    assert "Ingenting har ändrats" in swedish["value"]
    english = await story.click(story.manager, "approval.approve", bad, locale="en-US")
    assert "Nothing was changed" in english["value"]
    long = {"channel_id": channel.id, "version": channel.version, "comment": "x" * 20_001}
    assert (
        "Ingenting har ändrats"
        in (await story.click(story.manager, "approval.reject", long))["value"]
    )
    after = await story.channel()
    assert (after.status, after.version) == before


async def test_r2_a_unit_typed_by_the_requester_never_makes_its_deputy_the_decider(story: Story):
    """R2: the deputy's unit typed as "another unit" is a typed unit: only the manager decides."""
    requester = make_user(20)
    await story.say(requester, "ny kanal")
    form_id, form = story.last_card_to(requester.conversation_id)
    unit = next(e for e in form["body"] if e.get("id") == "unit")
    assert unit["type"] == "Input.ChoiceSet"  # the policy names units: chosen from its list
    assert "Fritidsgården Ugglan" in [c["value"] for c in unit["choices"]]
    answers = form_answers(
        story.editor,
        story.manager,
        administration="sof",
        unit="__other__",
        unit_other="Fritidsgården Ugglan",
    )
    await story.click(requester, "channel.submit", answers, reply_to_id=form_id)
    channel = await story.channel()
    assert channel.unit == "Fritidsgården Ugglan" and channel.unit_source == "form"
    approve = {"channel_id": channel.id, "version": channel.version, "login_access": "true"}

    assert (await story.click(SOF_DEPUTY, "approval.approve", approve))["value"] == NOT_ALLOWED
    assert (await story.channel()).status == ChannelStatus.PENDING_APPROVAL.value


async def test_r2_the_unit_is_chosen_beforehand_from_the_directorys_department(
    start_bot: BotFactory, emulator: ConnectorEmulator, tmp_path: Path
):
    """R2: where the policy names units, the requester's Graph department picks one of them."""
    deputy_policy = Policy(deputies=(Deputy(unit="Fritidsgården Ugglan", aad_object_id="d-1"),))
    async with FakeGraph(tenant_id=TENANT_ID) as graph:
        settings = graph.bot_settings(files_dir=tmp_path / "files")
        story = Story(await start_bot(settings, policy=deputy_policy), emulator)
        graph.add_user(
            story.requester.aad_object_id,
            story.requester.name,
            story.requester.email,
            story.requester.email or "",
            department="fritidsgården ugglan",
        )
        await story.say(story.requester, "ny kanal")
        _, form = story.last_card_to(story.requester.conversation_id)
    unit = next(e for e in form["body"] if e.get("id") == "unit")
    assert unit["type"] == "Input.ChoiceSet" and unit["value"] == "Fritidsgården Ugglan"
