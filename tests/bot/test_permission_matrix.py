"""Issue 23: every card verb × every role, by Action.Execute and Action.Submit, through the
real HTTP app and the connector emulator, on SQLite and PostgreSQL.

One channel of the city has a row of every kind a card names and a person in every role:
requester, manager, deputy of its unit, invited editor, accepted editor, former editor, the
administration's admin, the organisation's admin, someone writing from the organisation's
communications conversation (R7), an employee with no role, and a person of another
organisation. Each clicks every verb with the channel's real ids. Whom the declarations let in
gets an answer; everyone else gets the one refusal sentence, sees no plan text, login
reference, file link or other person's data, is sent nothing else, makes the bot send nobody
anything, and changes no row of any table.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from bot.settings import Settings
from cards.verbs import Verb
from dialogs.permission_table import declarations
from dialogs.permissions import Role
from domain.lifecycle import ChannelStatus
from storage.channels import EditorStatus, nominate
from storage.models import (
    Base,
    ChannelEditorRow,
    ChannelRow,
    PersonRow,
)
from tests.bot.channel_story import Story
from tests.bot.every_row import add_every_row
from tests.bot.test_organisation_isolation import (
    CITY,
    CITY_ADMIN,
    NEIGHBOUR,
    REGION,
    SOF_ADMIN,
    SOF_DEPUTY,
)
from tests.bot.test_organisations_story import file_request, organisation_folder
from tests.conftest import START, BotFactory
from tests.support.connector_emulator import ConnectorEmulator
from tests.support.factories import TeamsUser, make_execute, make_message, make_submit, make_user

NOT_ALLOWED = "Du får inte göra det här."
COMMS_TEAM = "19:stad-kommunikation@thread.tacv2"
OUTSIDER, ACCEPTED, FORMER, COMMS = make_user(18), make_user(16), make_user(17), make_user(19)
# What a refused answer, or anything sent because of a refused click, must never contain.
SECRET_MARKERS = (
    "Enhetens lösenordsvalv",  # the login reference (R6)
    "Fler besökare",  # the plan's goals (R5)
    "/files/",  # a signed file link
    "Fritidsgården Ugglan",  # the channel's and unit's name
    "Testperson",  # people's names
    "@kanalkollen.example",  # people's e-mail addresses
)


@dataclass(frozen=True)
class Clicker:
    """A person in one role, and where they click from."""

    role: str
    user: TeamsUser
    roles: Role
    conversation: dict[str, Any] | None = None  # a team channel instead of the 1:1 chat


@pytest.fixture
def bot_database_url(database_url: str) -> str:
    """This module runs on SQLite and on PostgreSQL."""
    return database_url


@pytest.fixture
async def story(start_bot: BotFactory, emulator: ConnectorEmulator, tmp_path: Path) -> Story:
    folder = organisation_folder(tmp_path, stad=CITY, region=REGION)
    settings = Settings(organisations_path=folder, files_dir=tmp_path / "files")
    # Deliveries only when the test drains the outbox: what a click queued is seen at once.
    return Story(await start_bot(settings, deliver=False, schedule=False), emulator)


def team_conversation(user: TeamsUser) -> dict[str, Any]:
    return {
        # A click in a thread of the team channel carries the thread's message id.
        "id": f"{COMMS_TEAM};messageid=1700000000000",
        "conversationType": "channel",
        "isGroup": True,
        "tenantId": user.tenant_id,
    }


def clickers(story: Story) -> list[Clicker]:
    e = Role.EMPLOYEE
    return [
        Clicker("outsider", OUTSIDER, e),
        Clicker("other organisation", NEIGHBOUR, Role(0)),
        # R3: the requester is the first editor of their channel.
        Clicker("requester", story.requester, e | Role.REQUESTER | Role.EDITOR),
        Clicker("manager", story.manager, e | Role.MANAGER),
        Clicker("deputy", SOF_DEPUTY, e | Role.DEPUTY),
        Clicker("invited editor", story.editor, e | Role.INVITED_EDITOR),
        Clicker("accepted editor", ACCEPTED, e | Role.EDITOR),
        Clicker("former editor", FORMER, e | Role.FORMER_EDITOR),
        Clicker("administration admin", SOF_ADMIN, e | Role.ADMINISTRATION_ADMIN),
        Clicker("organisation admin", CITY_ADMIN, e | Role.ORGANISATION_ADMIN),
        Clicker("communications", COMMS, e | Role.COMMUNICATIONS, team_conversation(COMMS)),
    ]


async def _person(story: Story, user: TeamsUser) -> PersonRow:
    async with story.bot.sessions() as session:
        found = await session.scalar(
            select(PersonRow).where(PersonRow.aad_object_id == user.aad_object_id)
        )
        assert found is not None, user
        return found


async def _channel_with_every_row(story: Story) -> dict[str, Any]:
    """The city's request, an accepted and a former editor, and one row of every kind."""
    for user in (OUTSIDER, ACCEPTED, FORMER, SOF_DEPUTY, SOF_ADMIN, CITY_ADMIN, NEIGHBOUR):
        await story.say(user, "hej")
    # R7: the organisation admin makes the team channel the communications conversation.
    picked = make_message(
        "kommunikationskanal", user=CITY_ADMIN, service_url=story.emulator.service_url
    )
    picked["conversation"] = {**team_conversation(CITY_ADMIN), "id": COMMS_TEAM}
    assert (await story.bot.post(picked))[0] == 200
    await file_request(story)
    # R7: the plan reaches the communications conversation; the approval card the manager.
    await story.bot.deliver()
    assert story.emulator.cards(COMMS_TEAM)
    channel = await story.channel()
    accepted, former = await _person(story, ACCEPTED), await _person(story, FORMER)
    async with story.bot.sessions.begin() as session:
        # Active (R8), so that every verb has something to do; the approval verbs then
        # answer that the request is decided.
        row = await session.get(ChannelRow, channel.id)
        assert row is not None
        row.status = ChannelStatus.ACTIVE.value
        row.address = "https://www.instagram.com/ugglan_test"
        row.next_documentation_due = date(2026, 3, 17)
        for person, status in ((accepted, EditorStatus.ACCEPTED), (former, EditorStatus.REMOVED)):
            row = await nominate(session, channel.id, person.id, by_person_id=None, now=START)
            row.status = status
        invited = await session.scalar(
            select(ChannelEditorRow)
            .where(ChannelEditorRow.channel_id == channel.id)
            .where(ChannelEditorRow.status == EditorStatus.NOMINATED)
        )
        assert invited is not None
        assert channel.requester_person_id is not None
        # A closing begun and put away earlier (the channel stays active).
        rows = await add_every_row(
            session, channel.id, channel.requester_person_id, closing="cancelled"
        )
        return {
            "channel_id": channel.id,
            "editor_id": invited.id,
            **rows,
            "version": channel.version,
            "comment": "Hej",
            "login_access": "true",
            "editors": "x",
            "due": "2026-03-17",
        }


async def _digest(story: Story) -> dict[str, str]:
    """Every row of every table, as a hash per table."""
    digests: dict[str, str] = {}
    async with story.bot.sessions() as session:
        for table in Base.metadata.sorted_tables:
            found = await session.execute(text(f"SELECT * FROM {table.name}"))
            rows = sorted(json.dumps(list(r), default=str) for r in found)
            digests[table.name] = hashlib.sha256(json.dumps(rows).encode()).hexdigest()
    return digests


def _activity(clicker: Clicker, kind: str, verb: str, data: dict[str, Any], url: str) -> dict:
    payload = {**data, "verb": verb}
    if kind == "execute":
        activity = make_execute(verb, payload, user=clicker.user, service_url=url)
    else:
        activity = make_submit(payload, user=clicker.user, service_url=url)
    if clicker.conversation is not None:
        activity["conversation"] = clicker.conversation
    return activity


async def _click(story: Story, clicker: Clicker, kind: str, verb: Verb, data: dict) -> list[str]:
    """The answers the clicker saw (the invoke's body, or the messages sent back)."""
    emulator = story.emulator
    sent = len(emulator.sent)
    status, body = await story.bot.post(
        _activity(clicker, kind, verb.value, data, emulator.service_url)
    )
    assert status == 200, (clicker.role, verb, body)
    if kind == "execute":
        return [json.dumps(body["value"], ensure_ascii=False)]
    await emulator.wait_for_count(sent + 1)
    return [
        json.dumps(
            (r.body or {}).get("text") or (r.body or {}).get("attachments"), ensure_ascii=False
        )
        for r in emulator.sent[sent:]
    ]


async def test_every_verb_by_every_role_is_allowed_or_refused_as_declared(story: Story):
    ids = await _channel_with_every_row(story)
    people = clickers(story)
    owner = story.editor  # the invitation the card names is the invited editor's own
    declared = declarations().verbs
    allowed: list[tuple[Clicker, Verb]] = []
    for clicker in people:  # Teams has seen each of them once: their reference is recorded
        await _click(story, clicker, "execute", Verb.SHOW_HELP, {})

    for verb in Verb:
        permit = declared[verb].permit
        await story.bot.deliver()
        before = await _digest(story)
        for clicker in people:
            may = permit.allows(clicker.roles, has_subject=True) and (
                not permit.own or clicker.user == owner
            )
            if may:
                allowed.append((clicker, verb))
                continue
            for kind in ("execute", "submit"):
                sent = len(story.emulator.sent)
                answers = await _click(story, clicker, kind, verb, ids)
                where = (clicker.role, verb.value, kind)
                assert answers == [json.dumps(NOT_ALLOWED, ensure_ascii=False)], where
                # Nothing but the answer was sent (a queued message would change the outbox).
                extra = story.emulator.sent[sent:]
                assert len(extra) == (kind == "submit"), (where, [r.path for r in extra])
        # Every refused click of this verb changed no row of any table.
        assert await _digest(story) == before, verb.value

    # Whom the declarations let in gets an answer that is no refusal.
    for clicker, verb in allowed:
        answers = await _click(story, clicker, "execute", verb, ids)
        assert NOT_ALLOWED not in answers[0], (clicker.role, verb.value)
    roles_allowed = {c.role for c, _ in allowed}
    assert "outsider" in roles_allowed  # help.show, the empty form
    assert "other organisation" not in roles_allowed


async def test_refused_answers_and_their_messages_reveal_nothing(story: Story):
    ids = await _channel_with_every_row(story)
    outsider = clickers(story)[0]
    await _click(story, outsider, "execute", Verb.SHOW_HELP, {})
    for verb in Verb:
        for kind in ("execute", "submit"):
            answers = await _click(story, outsider, kind, verb, ids)
            for marker in SECRET_MARKERS:
                if verb in (Verb.SHOW_HELP, Verb.CHANNEL_NEW):
                    continue  # allowed: the help card and the empty form name no channel
                assert not any(marker in a for a in answers), (verb.value, kind, marker)
