"""Issue 23: one click, one unit of work: the approval click opens one database session for
the flow (the person, the channel, the roles, the decision and everything it queues), and
commits once; a refused click writes nothing."""

from __future__ import annotations

import pytest

from bot.app import ENGINE
from domain.lifecycle import ChannelStatus
from tests.bot.channel_story import Story, form_answers
from tests.conftest import BotFactory
from tests.support.connector_emulator import ConnectorEmulator
from tests.support.db_counts import counted
from tests.support.factories import make_user


@pytest.fixture
async def story(start_bot: BotFactory, emulator: ConnectorEmulator) -> Story:
    return Story(await start_bot(deliver=False, schedule=False), emulator)


async def _request(story: Story) -> None:
    """The requester files a valid request (delivered by draining the outbox)."""
    await story.say(story.requester, "ny kanal")
    form_id, _ = story.last_card_to(story.requester.conversation_id)
    answers = form_answers(story.editor, story.manager)
    await story.click(story.requester, "channel.submit", answers, reply_to_id=form_id)
    await story.bot.deliver()


async def test_an_approval_click_is_one_session_and_one_commit(story: Story):
    await _request(story)
    channel = await story.channel()
    data = {"channel_id": channel.id, "version": channel.version, "login_access": "true"}
    await story.click(story.manager, "help.show", {})  # the manager's reference is recorded

    with counted(story.bot.app[ENGINE]) as counts:
        await story.click(story.manager, "approval.approve", data)

    assert (await story.channel()).status == ChannelStatus.APPROVED.value
    assert counts == {"sessions": 1, "commits": 1}


async def test_a_refused_click_is_one_session_and_writes_nothing(story: Story):
    await _request(story)
    channel = await story.channel()
    stranger = make_user(8)
    await story.click(stranger, "help.show", {})
    data = {"channel_id": channel.id, "version": channel.version, "login_access": "true"}

    with counted(story.bot.app[ENGINE]) as counts:
        body = await story.click(stranger, "approval.approve", data)

    assert body["value"] == "Du får inte göra det här."
    assert counts["sessions"] == 1
