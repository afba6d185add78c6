"""What the Agents SDK 1.9 gets wrong in local mode, and how our edge covers it.

A trial port found: proactive calls (continue and create conversation) build claims that are
not anonymous and ask MSAL for a token ("TENANT_ID is not set"); the Teams package's API client
asks MSAL too and fails member lookups; an unmatched `adaptiveCard/action` invoke answers 501
with an empty body; the default turn-error handler sends the exception's text to the user;
`AgentApplication(adapter=...)` warns that it is deprecated; and a connector session is opened
and closed every turn. Each is checked here through the running app and the emulator.
"""

from __future__ import annotations

import warnings

import aiohttp
import pytest
from microsoft_agents.hosting.dialogs import Dialog, DialogContext, DialogTurnResult
from sqlalchemy import select

from bot.app import ADAPTER, DELIVERY
from bot.delivery.proactive import failure_from
from bot.settings import Settings
from bot.teams.adapter import build_adapter
from domain.outbox import OutboxKind, OutboxStatus
from storage.models import OutboxRow, PersonRow
from storage.outbox import enqueue
from tests.conftest import START, BotFactory, RunningBot
from tests.support.connector_emulator import ConnectorEmulator
from tests.support.factories import (
    BOT_ID,
    make_execute,
    make_members_added,
    make_message,
    make_user,
)

SECRET = "database password is hunter2"


class _Exploding(Dialog):  # type: ignore[misc]
    """A flow that fails with an exception carrying something the user must never see."""

    def __init__(self) -> None:
        super().__init__("boom")

    async def begin_dialog(self, dc: DialogContext, options: object = None) -> DialogTurnResult:
        raise RuntimeError(SECRET)


async def _met(bot: RunningBot, emulator: ConnectorEmulator, index: int) -> int:
    user = make_user(index)
    before = len(emulator.sent)
    await bot.post(make_message("hej", user=user, service_url=emulator.service_url))
    await emulator.wait_for_count(before + 1)
    async with bot.sessions() as session:
        person_id = await session.scalar(
            select(PersonRow.id).where(PersonRow.aad_object_id == user.aad_object_id)
        )
    assert person_id is not None
    return int(person_id)


async def _queue(bot: RunningBot, person_id: int, text: str) -> int:
    async with bot.sessions.begin() as session:
        row = enqueue(
            session,
            kind=OutboxKind.TEAMS_MESSAGE,
            payload={"activity": {"type": "message", "text": text}},
            now=bot.clock.now(),
            recipient_person_id=person_id,
        )
        await session.flush()
        row_id = int(row.id)
    bot.app[DELIVERY].wake()
    return row_id


async def test_local_mode_continues_a_conversation_without_any_token(
    start_bot: BotFactory, emulator: ConnectorEmulator
) -> None:
    bot = await start_bot()
    person_id = await _met(bot, emulator, 1)
    emulator.reset()

    await _queue(bot, person_id, "Påminnelse")

    [sent] = await emulator.wait_for_count(1, operation="send")
    assert sent.body is not None and sent.body["text"] == "Påminnelse"
    assert sent.authorization is None


async def test_local_mode_creates_a_chat_with_the_bot_id_teams_uses(
    start_bot: BotFactory, emulator: ConnectorEmulator
) -> None:
    bot = await start_bot()
    await _met(bot, emulator, 1)  # the tenant's service URL and the bot's id are now known
    stranger = make_user(2)
    async with bot.sessions.begin() as session:
        person = PersonRow(
            tenant_id=stranger.tenant_id,
            aad_object_id=stranger.aad_object_id,
            name=stranger.name,
            created_at=START,
            updated_at=START,
        )
        session.add(person)
        await session.flush()
        person_id = int(person.id)

    await _queue(bot, person_id, "Du är nominerad som redaktör")

    [created] = await emulator.wait_for_count(1, operation="create")
    assert created.authorization is None
    assert created.body is not None
    assert created.body["bot"]["id"] == BOT_ID  # not a placeholder
    await emulator.wait_for(lambda e: "Du är nominerad som redaktör" in e.texts())


async def test_a_newcomers_email_is_read_through_the_turns_connector(
    start_bot: BotFactory, emulator: ConnectorEmulator
) -> None:
    bot = await start_bot()
    user = make_user(3)
    user.add_to(emulator)
    async with bot.sessions.begin() as session:  # imported by e-mail, never wrote
        imported = PersonRow(
            tenant_id=user.tenant_id, email=user.email, created_at=START, updated_at=START
        )
        session.add(imported)
        await session.flush()
        imported_id = imported.id

    await _met(bot, emulator, 3)

    lookups = emulator.records("get_member")
    assert [(r.member_id, r.status, r.authorization) for r in lookups] == [
        (user.user_id, 200, None)
    ]
    async with bot.sessions() as session:
        person = await session.get(PersonRow, imported_id)
    assert person is not None and person.aad_object_id == user.aad_object_id


@pytest.mark.parametrize(
    ("name", "verb"),
    [
        ("adaptiveCard/action", "no.such.verb"),
        ("composeExtension/query", None),
        (None, None),
    ],
)
async def test_an_invoke_nobody_handles_gets_a_clear_answer(
    start_bot: BotFactory, emulator: ConnectorEmulator, name: str | None, verb: str | None
) -> None:
    bot = await start_bot()
    activity = make_execute(
        verb or "help.show", {}, user=make_user(1), service_url=emulator.service_url
    )
    if name is None:
        activity.pop("name", None)
    else:
        activity["name"] = name

    status, body = await bot.post(activity)

    assert status == 200
    assert body["type"] == "application/vnd.microsoft.activity.message"
    assert body["value"]  # a sentence, in Swedish
    assert "Kanalkollen" in body["value"] or "knappen" in body["value"]


async def test_a_failing_turn_never_shows_the_exception_to_the_user(
    start_bot: BotFactory, emulator: ConnectorEmulator
) -> None:
    bot = await start_bot(flows={"boom": _Exploding()})
    user = make_user(1)

    status, _ = await bot.post(make_message("boom", user=user, service_url=emulator.service_url))

    assert status == 200
    await emulator.wait_for_count(1)
    texts = emulator.texts(user.conversation_id)
    assert texts == ["Något gick fel hos mig. Försök igen om en stund."]
    assert all(SECRET not in str(record.body) for record in emulator.received)


async def test_one_connector_session_serves_every_turn(
    start_bot: BotFactory, emulator: ConnectorEmulator
) -> None:
    bot = await start_bot()
    user = make_user(1)
    for index in range(5):
        await bot.post(make_message("hjälp", user=user, service_url=emulator.service_url))
        await emulator.wait_for_count(index + 1)

    sent = emulator.records("send") + emulator.records("reply")
    assert len(sent) == 5
    # Keep-alive on one pooled session: every request came over the same connection.
    assert len({record.peer for record in sent}) == 1


async def test_the_connector_session_closes_on_shutdown(
    start_bot: BotFactory, emulator: ConnectorEmulator
) -> None:
    bot = await start_bot()
    await _met(bot, emulator, 1)
    session = bot.app[ADAPTER].http()
    assert not session.closed

    await bot.stop()

    assert session.closed


def test_building_the_adapter_warns_of_nothing() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        adapter = build_adapter(Settings())
    assert adapter.app_id == ""


async def test_connector_errors_keep_status_and_retry_after(
    start_bot: BotFactory, emulator: ConnectorEmulator
) -> None:
    bot = await start_bot()
    person_id = await _met(bot, emulator, 1)
    emulator.fail_next(429, operation="send", retry_after=7)

    row_id = await _queue(bot, person_id, "Strax")

    async def attempted() -> OutboxRow:
        async with bot.sessions() as session:
            row = await session.get(OutboxRow, row_id)
        assert row is not None
        return row

    await emulator.wait_for(lambda e: any(r.status == 429 for r in e.requests))
    row = await attempted()
    for _ in range(50):
        if row.attempts >= 1 and row.status == OutboxStatus.PENDING.value:
            break
        await emulator.wait_for(lambda e: True, timeout=0.05)
        row = await attempted()
    assert row.status == OutboxStatus.PENDING.value
    assert (row.due_at - bot.clock.now()).total_seconds() >= 7


def test_failure_from_reads_aiohttp_errors() -> None:
    error = aiohttp.ClientResponseError(
        request_info=None,  # type: ignore[arg-type]
        history=(),
        status=503,
        headers={"Retry-After": "12"},  # type: ignore[arg-type]
    )
    failure = failure_from(error)
    assert failure.status == 503
    assert failure.retry_after_seconds == 12.0


async def test_a_chat_opened_without_a_name_takes_the_name_teams_has(
    start_bot: BotFactory, emulator: ConnectorEmulator
) -> None:
    """The Playground (and Teams on install) opens the chat with no name on the sender: the
    first-contact member lookup gives it, so cards do not say "okänd person"."""
    bot = await start_bot()
    user = make_user(6)
    user.add_to(emulator)

    status, _ = await bot.post(make_members_added(user, emulator.service_url))

    assert status == 200
    async with bot.sessions() as session:
        person = await session.scalar(
            select(PersonRow).where(PersonRow.aad_object_id == user.aad_object_id)
        )
    assert person is not None and person.name == user.name == "Testperson Sex"
