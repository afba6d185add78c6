"""Hostile input never gets a 5xx and changes nothing: a 4xx, or a 200 with a clear sentence."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from cards.verbs import Verb
from storage.models import AuditEventRow, ChannelRow
from tests.conftest import BotFactory
from tests.support.connector_emulator import ConnectorEmulator
from tests.support.factories import make_execute, make_message, make_submit, make_user

CARD = "application/vnd.microsoft.card.adaptive"
HUGE = 2**40  # beyond a 32-bit row id: PostgreSQL refuses the parameter


@pytest.fixture
def bot_database_url(database_url: str) -> str:
    """On SQLite and on PostgreSQL (where an out-of-range id made the query fail)."""
    return database_url


async def _audit_count(bot: Any) -> int:
    async with bot.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(AuditEventRow)) or 0)


async def test_deeply_nested_json_is_400(start_bot: BotFactory) -> None:
    bot = await start_bot()
    body = '{"type": "message", "value": ' + "[" * 100_000 + "]" * 100_000 + "}"

    status, _ = await bot.post(raw=body.encode())

    assert status == 400


async def test_a_service_url_that_is_not_a_url_is_400(
    start_bot: BotFactory, emulator: ConnectorEmulator
) -> None:
    bot = await start_bot()
    message = make_message("hjälp", user=make_user(1), service_url=emulator.service_url)
    message["serviceUrl"] = "not a url"

    status, _ = await bot.post(message)

    assert status == 400
    assert emulator.received == []


@pytest.mark.parametrize(
    "action",
    [
        {"type": "Action.Execute"},  # no verb
        {"type": "Action.Execute", "verb": ["approval.approve"]},
        {"type": "Action.Execute", "verb": "x" * 65},
        {"type": "Action.Execute", "verb": 7},
        {"type": "Action.Execute", "verb": "approval.approve", "data": "nej"},
    ],
    ids=["no-verb", "list-verb", "long-verb", "number-verb", "string-data"],
)
async def test_a_malformed_execute_gets_a_clear_200(
    start_bot: BotFactory, emulator: ConnectorEmulator, action: dict[str, Any]
) -> None:
    bot = await start_bot()
    invoke = make_execute("help.show", {}, user=make_user(1), service_url=emulator.service_url)
    invoke["value"]["action"] = action
    before = await _audit_count(bot)

    status, body = await bot.post(invoke)

    assert status == 200
    if isinstance(action.get("verb"), str) and len(action["verb"]) <= 64:
        assert body["type"] in ("application/vnd.microsoft.activity.message", CARD)
    else:
        assert body["type"] == "application/vnd.microsoft.activity.message"
        assert body["value"].startswith("Den här knappen känner jag inte igen.")
    assert await _audit_count(bot) == before


@pytest.mark.parametrize(
    "verb",
    [
        Verb.APPROVAL_APPROVE,
        Verb.EDITOR_ACCEPT,
        Verb.DOCUMENTATION_START,
        Verb.CLOSING_START,
        Verb.EDITORS_SHOW,
        Verb.REMOVAL_DONE,
        Verb.CHANNEL_STATUS,
    ],
)
@pytest.mark.parametrize("raw_id", [HUGE, str(HUGE), -1, "1e3", True, "٣"])
async def test_ids_out_of_range_or_not_ids_change_nothing(
    start_bot: BotFactory, emulator: ConnectorEmulator, verb: Verb, raw_id: object
) -> None:
    bot = await start_bot()
    user = make_user(1)
    data = {key: raw_id for key in ("channel_id", "editor_id", "task_id", "id")}
    before = await _audit_count(bot)

    status, body = await bot.post(
        make_execute(verb.value, data, user=user, service_url=emulator.service_url)
    )
    submit_status, _ = await bot.post(
        make_submit({**data, "verb": verb.value}, user=user, service_url=emulator.service_url)
    )

    assert status == 200, body
    assert submit_status == 200
    assert await _audit_count(bot) == before
    async with bot.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(ChannelRow)) == 0
