"""The /api/messages edge: bad input gets a clear answer and changes nothing."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.settings import Settings
from storage.models import ConversationReferenceRow, PersonRow
from tests.conftest import BotFactory, RunningBot
from tests.support.bot_framework_keys import BotFrameworkKeys
from tests.support.connector_emulator import ConnectorEmulator
from tests.support.factories import make_message, make_user


async def _stored_people(bot: RunningBot) -> int:
    async with bot.sessions() as session:
        people = await session.scalar(select(func.count()).select_from(PersonRow))
        refs = await session.scalar(select(func.count()).select_from(ConversationReferenceRow))
    return int(people or 0) + int(refs or 0)


async def test_malformed_json_is_400(start_bot: BotFactory):
    bot = await start_bot()

    status, body = await bot.post(raw=b'{"type": "message", ')

    assert status == 400
    assert body["error"]["message"] == "The body is not valid JSON."


@pytest.mark.parametrize("payload", [b"[]", b'"message"', b'{"text": "no type"}'])
async def test_json_that_is_not_an_activity_is_400(start_bot: BotFactory, payload: bytes):
    bot = await start_bot()

    status, _ = await bot.post(raw=payload)

    assert status == 400


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
async def test_non_json_content_type_is_415(
    start_bot: BotFactory, emulator: ConnectorEmulator, content_type: str
):
    bot = await start_bot()
    activity = make_message("hjälp", user=make_user(1), service_url=emulator.service_url)

    status, _ = await bot.post(raw=json.dumps(activity).encode(), content_type=content_type)

    assert status == 415
    assert await _stored_people(bot) == 0


async def test_body_over_256_kb_is_413(start_bot: BotFactory, emulator: ConnectorEmulator):
    bot = await start_bot()
    activity = make_message(
        "x" * (300 * 1024), user=make_user(1), service_url=emulator.service_url
    )

    status, _ = await bot.post(activity)

    assert status == 413
    assert await _stored_people(bot) == 0
    assert emulator.sent == []


async def test_unknown_activity_type_is_acknowledged_and_ignored(
    start_bot: BotFactory, emulator: ConnectorEmulator
):
    bot = await start_bot()
    activity = make_message("hjälp", user=make_user(1), service_url=emulator.service_url)
    activity["type"] = "somethingNew"

    status, _ = await bot.post(activity)

    assert status == 200
    assert await _stored_people(bot) == 0
    assert emulator.sent == []


async def test_typing_is_ignored(start_bot: BotFactory, emulator: ConnectorEmulator):
    bot = await start_bot()
    activity = make_message("", user=make_user(1), service_url=emulator.service_url)
    activity["type"] = "typing"

    status, _ = await bot.post(activity)

    assert status == 200
    assert emulator.sent == []


async def test_tenant_outside_allowed_tenants_is_refused_and_logged(
    start_bot: BotFactory, emulator: ConnectorEmulator, caplog: pytest.LogCaptureFixture
):
    bot = await start_bot(
        Settings(allowed_tenants=frozenset({"11111111-2222-4333-8444-555555555555"}))
    )
    user = make_user(1)

    with caplog.at_level(logging.WARNING, logger="bot.teams.messages_endpoint"):
        status, _ = await bot.post(
            make_message("hjälp", user=user, service_url=emulator.service_url)
        )

    assert status == 403
    assert await _stored_people(bot) == 0
    assert emulator.sent == []
    assert any(user.tenant_id in record.getMessage() for record in caplog.records)


async def test_allowed_tenant_is_served(start_bot: BotFactory, emulator: ConnectorEmulator):
    user = make_user(1)
    bot = await start_bot(Settings(allowed_tenants=frozenset({user.tenant_id})))

    status, _ = await bot.post(make_message("hjälp", user=user, service_url=emulator.service_url))

    assert status == 200
    await emulator.wait_for_count(1)


def _unsigned_jwt(claims: dict[str, object]) -> str:
    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256', 'typ': 'JWT', 'kid': 'k'})}.{part(claims)}.c2ln"


@pytest.fixture
async def keys() -> AsyncIterator[BotFrameworkKeys]:
    """The Bot Framework's OpenID configuration and key set, on loopback."""
    async with BotFrameworkKeys() as served:
        yield served


@pytest.fixture
def authenticated_settings(keys: BotFrameworkKeys) -> Settings:
    # Synthetic credentials: never a real secret.
    return Settings(
        app_id="00000000-1111-4222-8333-444444444444",
        app_password="synthetic-test-value",
        files_signing_key="k" * 32,
        app_tenant_id="7e57c0de-0000-4000-8000-000000000001",
        allowed_tenants=frozenset({"7e57c0de-0000-4000-8000-000000000001"}),
        bot_openid_metadata_url=keys.metadata_url,
    )


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Basic dXNlcjpwYXNz",
        "Bearer not-a-jwt",
        f"Bearer {_unsigned_jwt({'iss': 'https://issuer.invalid', 'aud': 'x'})}",
    ],
)
async def test_with_an_app_id_requests_without_a_valid_jwt_are_401(
    start_bot: BotFactory,
    emulator: ConnectorEmulator,
    authenticated_settings: Settings,
    authorization: str | None,
):
    bot = await start_bot(authenticated_settings)
    headers = {"Authorization": authorization} if authorization is not None else None

    status, _ = await bot.post(
        make_message("hjälp", user=make_user(1), service_url=emulator.service_url),
        headers=headers,
    )

    assert status == 401
    assert await _stored_people(bot) == 0
    assert emulator.requests == []


async def test_local_mode_binds_loopback_only():
    assert Settings().local_mode
    assert Settings().host == "127.0.0.1"
    assert Settings(app_id="x", app_password="y", app_tenant_id="t").host == "0.0.0.0"


async def test_healthz_and_readyz(start_bot: BotFactory):
    bot = await start_bot()
    session = bot.client._client()

    async with session.get(f"{bot.url}/healthz") as response:
        assert response.status == 200
    async with session.get(f"{bot.url}/readyz") as response:
        assert response.status == 200
        assert (await response.json())["status"] == "ready"


async def test_in_local_mode_the_bot_framework_emulator_user_can_use_the_flows(
    start_bot: BotFactory, emulator: ConnectorEmulator
):
    bot = await start_bot()
    activity = {
        "type": "message",
        "id": "e1",
        "text": "ny kanal",
        "locale": "sv-SE",
        "channelId": "emulator",
        "serviceUrl": emulator.service_url,
        "from": {"id": "5f3c-emulator-user", "name": "User", "role": "user"},
        "recipient": {"id": "bot-id", "name": "Bot", "role": "bot"},
        "conversation": {"id": "emulator-conversation-1"},
    }

    status, _ = await bot.post(activity)

    assert status == 200
    await emulator.wait_for_count(1)
    [card] = emulator.cards("emulator-conversation-1")
    assert card["body"][0]["text"] == "Ny kanal i sociala medier"


# --- the body: authenticated first, read within a time limit, never nested too deeply --------


async def _answer_status(reader: asyncio.StreamReader) -> int:
    """The status of the HTTP answer on a raw connection."""
    status_line = await reader.readline()
    return int(status_line.split()[1])


async def _open_post(bot: RunningBot, length: int, authorization: str | None = None) -> Any:
    """Opens a raw connection and sends a POST's headers for a body of `length` bytes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", bot.settings.port)
    head = (
        "POST /api/messages HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: application/json\r\nContent-Length: {length}\r\n"
    )
    if authorization is not None:
        head += f"Authorization: {authorization}\r\n"
    writer.write((head + "\r\n").encode())
    await writer.drain()
    return reader, writer


async def test_without_a_token_the_answer_is_401_before_any_body_arrives(
    start_bot: BotFactory, authenticated_settings: Settings
):
    bot = await start_bot(authenticated_settings)
    reader, writer = await _open_post(bot, 1000)  # the body never comes
    try:
        # Guard only: before the fix the bot waited for the body that never came.
        status = await asyncio.wait_for(_answer_status(reader), timeout=30)
    finally:
        writer.close()

    assert status == 401


async def test_a_body_trickling_in_is_answered_408_after_the_limit(
    start_bot: BotFactory, emulator: ConnectorEmulator
):
    bot = await start_bot(Settings(body_read_timeout_seconds=0.5))
    activity = json.dumps(
        make_message("hjälp", user=make_user(1), service_url=emulator.service_url)
    ).encode()
    reader, writer = await _open_post(bot, len(activity))

    async def trickle() -> None:
        for byte in activity:  # one byte at a time, as a slow client would
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(0.05)

    sender = asyncio.create_task(trickle())
    try:
        status = await asyncio.wait_for(_answer_status(reader), timeout=30)
    finally:
        sender.cancel()
        writer.close()

    assert status == 408
    assert await _stored_people(bot) == 0
    assert emulator.sent == []


def _nested(depth: int) -> dict[str, Any]:
    deep: dict[str, Any] = {}
    for _ in range(depth - 1):
        deep = {"x": deep}
    return deep


async def test_channel_data_nested_700_deep_is_400(
    start_bot: BotFactory, emulator: ConnectorEmulator
):
    bot = await start_bot()
    activity = make_message("hjälp", user=make_user(1), service_url=emulator.service_url)
    activity["channelData"]["deep"] = _nested(700)

    status, body = await bot.post(activity)

    assert status == 400
    assert body["error"]["message"] == "The body is nested too deeply."
    assert await _stored_people(bot) == 0


@pytest.mark.parametrize("field", ["channelData", "value", "entities", "attachments"])
async def test_json_at_any_depth_never_gives_a_5xx(
    start_bot: BotFactory, emulator: ConnectorEmulator, field: str
):
    bot = await start_bot()
    for depth in (60, 64, 65, 200, 900):
        activity = make_message("hjälp", user=make_user(1), service_url=emulator.service_url)
        nested: Any = _nested(depth - 1)
        activity[field] = [nested] if field in ("entities", "attachments") else nested

        status, _ = await bot.post(activity)

        assert status < 500, (field, depth)


def _hostile_bodies(service_url: str) -> list[bytes]:
    activity = make_message("hjälp", user=make_user(1), service_url=service_url)
    text = json.dumps(activity, ensure_ascii=False)
    return [
        text.replace('"hjälp"', "1" * 5000).encode(),  # beyond Python's int digit limit
        text.replace('"hjälp"', '"\\ud800 hjälp"').encode(),  # a lone surrogate
        text.replace('"Testperson Ett"', '"\\udfff"').encode(),
        text.replace('"hjälp"', "1e999999").encode(),
        text.replace('"hjälp"', "NaN").encode(),
        b"\xef\xbb\xbf" + text.encode(),  # a byte-order mark
        text.encode("utf-16"),
        text.replace('"hjälp"', '"\\u0000hj\\u0000"').encode(),  # NUL in the text
    ]


async def test_hostile_bodies_never_give_a_5xx(start_bot: BotFactory, emulator: ConnectorEmulator):
    bot = await start_bot()
    for index, body in enumerate(_hostile_bodies(emulator.service_url)):
        status, answer = await bot.post(raw=body)

        assert status < 500, (index, status, answer)
