"""The new-channel form through the real app: validation (R2, R3, R5, R6) and the manager (R2).

Graph is our fake on loopback over real TLS, reached through msal's real code path.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from domain.lifecycle import ChannelStatus
from tests.bot.channel_story import Story, form_answers
from tests.conftest import BotFactory
from tests.support.connector_emulator import ConnectorEmulator
from tests.support.factories import TENANT_ID
from tests.support.fake_graph import FakeGraph


def _errors(card: dict[str, Any]) -> dict[str, str]:
    """The error texts shown under the form's fields, by field."""
    errors: dict[str, str] = {}
    body = card["body"]
    for index, element in enumerate(body):
        if element.get("color") == "Attention" and index > 0:
            previous = body[index - 1]
            errors[str(previous.get("id"))] = element["text"]
    return errors


def _value(card: dict[str, Any], field: str) -> Any:
    return next(e.get("value") for e in card["body"] if e.get("id") == field)


@pytest.fixture
async def story(start_bot: BotFactory, emulator: ConnectorEmulator) -> Story:
    return Story(await start_bot(), emulator)


async def _submit(story: Story, answers: dict[str, str]) -> dict[str, Any]:
    await story.say(story.requester, "ny kanal")
    form_id, _ = story.last_card_to(story.requester.conversation_id)
    body = await story.click(story.requester, "channel.submit", answers, reply_to_id=form_id)
    return body["value"]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"platform": "myspace"}, "platform", "Välj"),
        ({"name": ""}, "name", ""),
        ({"name": "x" * 101}, "name", "100"),
        ({"purpose": ""}, "purpose", ""),
        ({"goals": ""}, "goals", ""),
        ({"moderation_and_crisis": "y" * 2001}, "moderation_and_crisis", "2000"),
        ({"evaluation_date": "nästa vår"}, "evaluation_date", ""),
        ({"evaluation_date": "2026-03-01"}, "evaluation_date", ""),
        ({"editors": ""}, "editors", "2"),  # R3
        ({"manager": ""}, "manager", ""),  # R2, no directory: the form asks
        ({"login_reference": "lösenord: Sommar2026!"}, "login_reference", "lösenord"),  # R6
        ({"login_reference": "Ugglan#2026x"}, "login_reference", "lösenord"),  # R6
    ],
)
async def test_each_invalid_field_is_shown_again_with_its_error_and_the_answers_kept(
    story: Story, overrides: dict[str, str], field: str, message: str
):
    answers = {**form_answers(story.editor, story.manager), **overrides}

    card = await _submit(story, answers)

    errors = _errors(card)
    assert list(errors) == [field]
    assert message.casefold() in errors[field].casefold()
    assert _value(card, "unit") == answers["unit"]  # the user's answers are kept
    async with story.bot.sessions() as session:
        from sqlalchemy import func, select

        from storage.models import ChannelRow, OutboxRow

        assert await session.scalar(select(func.count()).select_from(ChannelRow)) == 0
        assert await session.scalar(select(func.count()).select_from(OutboxRow)) == 0


async def test_the_password_itself_is_never_stored(story: Story):
    await _submit(
        story, form_answers(story.editor, story.manager, login_reference="password=Hemligt123")
    )

    async with story.bot.sessions() as session:
        from sqlalchemy import text

        for table in ("channels", "audit_events", "outbox", "bot_state"):
            rows = (await session.execute(text(f"SELECT * FROM {table}"))).all()
            assert "Hemligt123" not in str(rows), table


@pytest.fixture
async def graph() -> AsyncIterator[FakeGraph]:
    async with FakeGraph(tenant_id=TENANT_ID) as fake:
        yield fake


@pytest.fixture
async def graph_story(
    start_bot: BotFactory, emulator: ConnectorEmulator, graph: FakeGraph
) -> Story:
    settings = graph.bot_settings()
    story = Story(await start_bot(settings), emulator)
    graph.add_user(
        story.manager.aad_object_id,
        "Rektor Testsson",
        "rektor@stad.example",
        "rektor@stad.example",
    )
    graph.add_user(
        story.requester.aad_object_id,
        story.requester.name,
        story.requester.email,
        story.requester.email or "",
        manager_id=story.manager.aad_object_id,
    )
    graph.add_user(
        story.editor.aad_object_id, story.editor.name, story.editor.email, story.editor.email or ""
    )
    return story


async def test_r2_the_manager_comes_from_the_directory(graph_story: Story, graph: FakeGraph):
    story = graph_story
    await story.say(story.requester, "ny kanal")
    form_id, form = story.last_card_to(story.requester.conversation_id)
    assert not any(e.get("id") == "manager" for e in form["body"])  # not asked
    assert "Rektor Testsson" in str(form)

    await story.click(
        story.requester, "channel.submit", form_answers(story.editor, None), reply_to_id=form_id
    )

    channel = await story.channel()
    assert channel.status == ChannelStatus.PENDING_APPROVAL.value
    assert channel.manager_source == "directory"
    _, approval = await story.wait_card_to(story.manager)
    assert "Testperson Två" in str(approval)  # the editor's name, from the directory
    assert len(graph.token_requests) == 1  # the token is reused


async def test_r2_with_graph_down_the_form_asks_for_the_manager(
    graph_story: Story, graph: FakeGraph
):
    story = graph_story
    await graph.down()

    await story.say(story.requester, "ny kanal")

    _, form = story.last_card_to(story.requester.conversation_id)
    assert any(e.get("id") == "manager" for e in form["body"])
