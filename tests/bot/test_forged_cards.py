"""Every card verb, forged by a person of another organisation (issue 15).

The city's channel has a row of every kind a card names (an editor, a consent, a check, a
removal task, a deletion decision, a closing). A person of the region's tenant clicks every
verb the bot knows, by Action.Execute and by Action.Submit, with the city's real ids: each
answer is "not allowed", nothing of the city's channel is in it, and nothing of it changes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.settings import Settings
from cards.verbs import Verb
from storage.models import (
    AuditEventRow,
    ChannelClosingRow,
    ChannelEditorRow,
    ChannelRow,
    ConsentCheckRow,
    ConsentRow,
    DeletionDecisionRow,
    OutboxRow,
    RemovalTaskRow,
)
from tests.bot.channel_story import Story
from tests.bot.every_row import add_every_row
from tests.bot.test_organisations_story import (
    CITY,
    OTHER_TENANT,
    REGION,
    file_request,
    organisation_folder,
)
from tests.conftest import BotFactory
from tests.support.connector_emulator import ConnectorEmulator
from tests.support.factories import make_submit, make_user

NOT_ALLOWED = "Du får inte göra det här."
INTRUDER = make_user(21, tenant_id=OTHER_TENANT)
# Card data a forger would try on every verb: the city's ids and the values forms carry.
_FIELDS = {"editors": "x", "comment": "Hej", "version": "1", "due": "2026-03-17"}


@pytest.fixture
def bot_database_url(database_url: str) -> str:
    """This module runs on SQLite and on PostgreSQL."""
    return database_url


@pytest.fixture
async def story(start_bot: BotFactory, emulator: ConnectorEmulator, tmp_path: Path) -> Story:
    """The city and the region of the organisations story, in one deployment."""
    folder = organisation_folder(tmp_path, stad=CITY, region=REGION)
    settings = Settings(organisations_path=folder, files_dir=tmp_path / "files")
    return Story(await start_bot(settings), emulator)


async def _city_rows(story: Story) -> dict[str, Any]:
    """The city's channel and one row of every kind a card names, with their ids."""
    await file_request(story)
    channel = await story.channel()
    async with story.bot.sessions.begin() as session:
        editor = (
            await session.scalars(
                select(ChannelEditorRow).where(ChannelEditorRow.channel_id == channel.id)
            )
        ).first()
        assert editor is not None
        assert channel.requester_person_id is not None
        rows = await add_every_row(session, channel.id, channel.requester_person_id)
        return {"channel_id": channel.id, "editor_id": editor.id, **rows, "name": channel.name}


async def _snapshot(story: Story) -> str:
    """Everything of the city's channel a forged click could change, as one text."""
    rows: list[Any] = []
    async with story.bot.sessions() as session:
        for model in (
            ChannelRow,
            ChannelEditorRow,
            ConsentRow,
            ConsentCheckRow,
            RemovalTaskRow,
            DeletionDecisionRow,
            ChannelClosingRow,
        ):
            for row in await session.scalars(select(model).order_by(model.id)):
                rows.append({a.key: getattr(row, a.key) for a in row.__mapper__.column_attrs})
        events = await session.scalars(
            select(AuditEventRow.action).where(AuditEventRow.subject_type != "person")
        )
        rows.append(sorted(events))
        rows.append(len((await session.scalars(select(OutboxRow.id))).all()))
    return json.dumps(rows, default=str, sort_keys=True)


async def test_every_verb_forged_by_another_organisation_is_refused_and_changes_nothing(
    story: Story,
):
    ids = await _city_rows(story)
    name = ids.pop("name")
    INTRUDER.add_to(story.emulator)
    await story.say(INTRUDER, "hej")
    before = await _snapshot(story)

    for verb in Verb:
        data = {**ids, **_FIELDS}
        # Action.Execute (invoke): the answer replaces the card.
        answer = await story.click(INTRUDER, verb.value, data)
        assert NOT_ALLOWED in str(answer), verb
        assert name not in str(answer), verb
        # Action.Submit (a message with the data as value), where a client lacks Execute.
        sent = len(story.emulator.sent)
        status, _ = await story.bot.post(
            make_submit(
                {**data, "verb": verb.value},
                user=INTRUDER,
                service_url=story.emulator.service_url,
            )
        )
        assert status == 200, verb
        await story.emulator.wait_for_count(sent + 1)
        replies = story.emulator.texts(INTRUDER.conversation_id)
        assert replies[-1] == NOT_ALLOWED, (verb, replies[-1])
        assert not any(name in str(r.body) for r in story.emulator.sent[sent:]), verb

    assert await _snapshot(story) == before
