"""Proves the Bot Connector emulator speaks the protocol the Agents SDK's connector client uses."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from microsoft_agents.activity import (
    Activity,
    Attachment,
    ChannelAccount,
    ConversationParameters,
)
from microsoft_agents.hosting.core.connector.teams import TeamsConnectorClient

from tests.support.connector_emulator import ConnectorEmulator
from tests.support.connector_records import ADAPTIVE_CARD
from tests.support.factories import BOT_ID, BOT_NAME, TENANT_ID, make_user

CONVERSATION_IDS = ["a:1Xy-Z_9;messageid=123", "19:abc@thread.tacv2;messageid=1"]
PERSONAL = CONVERSATION_IDS[0]


@pytest.fixture
async def emu() -> AsyncIterator[ConnectorEmulator]:
    """Yield a running emulator."""
    async with ConnectorEmulator() as emulator:
        yield emulator


@pytest.fixture
async def client(emu: ConnectorEmulator) -> AsyncIterator[TeamsConnectorClient]:
    """Yield the SDK's Teams connector client (the one the bot uses) pointed at the emulator."""
    connector = TeamsConnectorClient(emu.service_url, token="")
    try:
        yield connector
    finally:
        await connector.close()


def _error_code(error: aiohttp.ClientResponseError) -> str:
    """Return the Bot Connector error code the client kept in the error's message."""
    return str(json.loads(error.message)["error"]["code"])


def _message(text: str, **fields: Any) -> Activity:
    """Return an outgoing message activity."""
    return Activity(type="message", text=text, **fields)


def _parameters(user_id: str, tenant_id: str | None = TENANT_ID) -> ConversationParameters:
    """Return Teams-style parameters for a 1:1 conversation with one user."""
    parameters = ConversationParameters(
        is_group=False,
        agent=ChannelAccount(id=BOT_ID, name=BOT_NAME),
        members=[ChannelAccount(id=user_id)],
    )
    if tenant_id:
        parameters.tenant_id = tenant_id
        parameters.channel_data = {"tenant": {"id": tenant_id}}
    return parameters


async def test_service_url_is_loopback_with_trailing_slash(emu: ConnectorEmulator) -> None:
    """The serviceUrl looks like Teams' (trailing slash) but points at 127.0.0.1."""
    assert emu.service_url == f"http://127.0.0.1:{emu.port}/"


async def test_create_conversation_is_stable_per_user(
    emu: ConnectorEmulator, client: TeamsConnectorClient
) -> None:
    """Creating a 1:1 twice for the same user and tenant yields the same id, as in Teams."""
    first = await client.conversations.create_conversation(_parameters("29:1user-a"))
    again = await client.conversations.create_conversation(_parameters("29:1user-a"))
    other = await client.conversations.create_conversation(_parameters("29:1user-b"))
    assert first.id == again.id
    assert first.id.startswith("a:")
    assert other.id != first.id
    assert first.service_url == emu.service_url
    assert len(emu.created_conversations) == 3
    assert emu.created_conversations[0].body is not None
    # The Agents SDK serialises `agent` as Teams' "bot" and the tenant as "tenantId".
    assert emu.created_conversations[0].body["tenantId"] == TENANT_ID
    assert emu.created_conversations[0].body["bot"]["id"] == BOT_ID
    assert emu.created_conversations[0].conversation_id == first.id


async def test_create_conversation_matches_factory_user(
    emu: ConnectorEmulator, client: TeamsConnectorClient
) -> None:
    """A proactive 1:1 lands in the same conversation the user's own messages come from."""
    user = make_user(3)
    user.add_to(emu)
    created = await client.conversations.create_conversation(
        _parameters(user.user_id, user.tenant_id)
    )
    assert created.id == user.conversation_id
    assert emu.members_of(created.id)[0]["name"] == "Testperson Tre"


async def test_create_conversation_without_tenant_is_rejected(
    emu: ConnectorEmulator, client: TeamsConnectorClient
) -> None:
    """Teams refuses to create a conversation without a tenant id."""
    with pytest.raises(aiohttp.ClientResponseError) as caught:
        await client.conversations.create_conversation(_parameters("29:1x", tenant_id=None))
    assert caught.value.status == 400
    assert emu.created_conversations == []
    assert len(emu.rejected) == 1


async def test_create_conversation_with_activity(
    emu: ConnectorEmulator, client: TeamsConnectorClient
) -> None:
    """An activity inside ConversationParameters is stored and counted as sent."""
    parameters = _parameters("29:1user-c")
    parameters.activity = _message("Välkommen")
    created = await client.conversations.create_conversation(parameters)
    assert created.activity_id
    assert emu.current(created.id, created.activity_id)["text"] == "Välkommen"
    assert emu.texts() == ["Välkommen"]


@pytest.mark.parametrize("conversation_id", CONVERSATION_IDS)
async def test_send_reply_update_delete(
    emu: ConnectorEmulator, client: TeamsConnectorClient, conversation_id: str
) -> None:
    """Encoded ids route correctly; updates replace content; deletes forget it."""
    sent = await client.conversations.send_to_conversation(conversation_id, _message("ett"))
    replied = await client.conversations.reply_to_activity(
        conversation_id, "1700000000000", _message("två", reply_to_id="1700000000000")
    )
    assert sent.id != replied.id
    assert [r.operation for r in emu.sent] == ["send", "reply"]
    assert emu.sent[1].activity_id == "1700000000000"
    assert all(r.conversation_id == conversation_id for r in emu.sent)
    assert emu.texts(conversation_id) == ["ett", "två"]
    assert [a["text"] for a in emu.messages_to(conversation_id)] == ["ett", "två"]

    updated = await client.conversations.update_activity(
        conversation_id, sent.id, _message("ett, rättad", id=sent.id)
    )
    assert updated.id == sent.id
    assert emu.current(conversation_id, sent.id)["text"] == "ett, rättad"
    assert emu.updates[0].activity_id == sent.id

    await client.conversations.delete_activity(conversation_id, sent.id)
    assert emu.current(conversation_id, sent.id) is None
    assert emu.deletes[0].activity_id == sent.id
    assert emu.rejected == []


async def test_update_unknown_activity_is_404(
    emu: ConnectorEmulator, client: TeamsConnectorClient
) -> None:
    """Updating an activity Teams never saw answers 404 and is not counted as delivered."""
    with pytest.raises(aiohttp.ClientResponseError) as caught:
        await client.conversations.update_activity(PERSONAL, "999", _message("x"))
    assert caught.value.status == 404
    assert _error_code(caught.value) == "NotFound"
    assert emu.updates == []
    assert [r.operation for r in emu.rejected] == ["update"]


async def test_authorization_header_is_recorded(emu: ConnectorEmulator) -> None:
    """The Authorization header the bot sends is kept on the record."""
    connector = TeamsConnectorClient(emu.service_url, token="emulated")
    try:
        await connector.conversations.send_to_conversation(PERSONAL, _message("hej"))
    finally:
        await connector.close()
    assert emu.sent[0].authorization == "Bearer emulated"
    assert emu.sent[0].headers["authorization"] == "Bearer emulated"


async def test_members(emu: ConnectorEmulator, client: TeamsConnectorClient) -> None:
    """Members added to the emulator are served in TeamsChannelAccount shape."""
    user = make_user(1)
    user.add_to(emu)
    members = await client.conversations.get_conversation_members(user.conversation_id)
    assert [(m.id, m.name, m.aad_object_id) for m in members] == [
        (user.user_id, "Testperson Ett", user.aad_object_id)
    ]
    member = await client.conversations.get_conversation_member(
        user.conversation_id, user.aad_object_id
    )
    assert member.id == user.user_id
    activity_members = await client.conversations.get_activity_members(
        user.conversation_id, "1700000000000"
    )
    assert [m.id for m in activity_members] == [user.user_id]
    paged = await client.conversations.get_conversation_paged_members(
        user.conversation_id, page_size=10
    )
    assert [m.id for m in paged.members] == [user.user_id]
    assert not paged.continuation_token

    with pytest.raises(aiohttp.ClientResponseError) as caught:
        await client.conversations.get_conversation_member(user.conversation_id, "29:1nobody")
    assert caught.value.status == 404  # a GET's error keeps the status, not Teams' error code
    assert [(r.operation, r.status) for r in emu.rejected] == [("get_member", 404)]
    with pytest.raises(aiohttp.ClientResponseError):
        await client.conversations.get_conversation_members("a:1unknown")


async def test_fail_next_429_exposes_retry_after(
    emu: ConnectorEmulator, client: TeamsConnectorClient
) -> None:
    """A scripted 429 reaches the caller with Retry-After and is not delivered."""
    emu.fail_next(429, retry_after=2)
    with pytest.raises(aiohttp.ClientResponseError) as caught:
        await client.conversations.send_to_conversation(PERSONAL, _message("strypt"))
    assert caught.value.status == 429
    assert caught.value.headers["Retry-After"] == "2"
    assert emu.sent == []
    assert [(r.operation, r.status) for r in emu.rejected] == [("send", 429)]

    await client.conversations.send_to_conversation(PERSONAL, _message("igen"))
    assert emu.texts() == ["igen"]


async def test_fail_next_403_blocked_body(
    emu: ConnectorEmulator, client: TeamsConnectorClient
) -> None:
    """A 403 carries the ConversationBlockedByUser error code by default."""
    emu.fail_next(403)
    with pytest.raises(aiohttp.ClientResponseError) as caught:
        await client.conversations.send_to_conversation(PERSONAL, _message("x"))
    assert caught.value.status == 403
    assert _error_code(caught.value) == "ConversationBlockedByUser"


async def test_fail_next_matches_operation_and_conversation(
    emu: ConnectorEmulator, client: TeamsConnectorClient
) -> None:
    """Faults only hit requests with the given operation and conversation."""
    other = CONVERSATION_IDS[1]
    emu.fail_next(503, times=2, operation="send", conversation_id=other)
    await client.conversations.send_to_conversation(PERSONAL, _message("a"))
    for _ in range(2):
        with pytest.raises(aiohttp.ClientResponseError):
            await client.conversations.send_to_conversation(other, _message("b"))
    await client.conversations.send_to_conversation(other, _message("c"))
    assert emu.texts() == ["a", "c"]
    assert len(emu.rejected) == 2


async def test_block_conversation(emu: ConnectorEmulator, client: TeamsConnectorClient) -> None:
    """A blocked conversation answers 403 until unblocked."""
    emu.block_conversation(PERSONAL)
    with pytest.raises(aiohttp.ClientResponseError) as caught:
        await client.conversations.send_to_conversation(PERSONAL, _message("x"))
    assert _error_code(caught.value) == "ConversationBlockedByUser"
    emu.unblock_conversation(PERSONAL)
    await client.conversations.send_to_conversation(PERSONAL, _message("y"))
    assert emu.texts() == ["y"]


async def test_rate_limit_global(emu: ConnectorEmulator, client: TeamsConnectorClient) -> None:
    """Requests above the rate answer 429 with Retry-After; the window slides."""
    emu.rate_limit(3, retry_after=1)
    statuses = []
    for index in range(5):
        try:
            await client.conversations.send_to_conversation(PERSONAL, _message(str(index)))
            statuses.append(201)
        except aiohttp.ClientResponseError as error:
            statuses.append(error.status)
            assert error.headers["Retry-After"] == "1"
    assert statuses == [201, 201, 201, 429, 429]
    assert emu.texts() == ["0", "1", "2"]
    later = time.monotonic() + 1.05  # the one-second window has slid past the first three
    emu.monotonic = lambda: later
    await client.conversations.send_to_conversation(PERSONAL, _message("later"))
    assert emu.texts()[-1] == "later"


async def test_rate_limit_per_conversation(
    emu: ConnectorEmulator, client: TeamsConnectorClient
) -> None:
    """With scope="conversation" each conversation has its own budget."""
    emu.rate_limit(1, scope="conversation")
    for conversation_id in CONVERSATION_IDS:
        await client.conversations.send_to_conversation(conversation_id, _message("ok"))
    with pytest.raises(aiohttp.ClientResponseError) as caught:
        await client.conversations.send_to_conversation(PERSONAL, _message("too fast"))
    assert caught.value.status == 429
    assert len(emu.sent) == 2


async def test_cards_and_wait_for_count(
    emu: ConnectorEmulator, client: TeamsConnectorClient
) -> None:
    """Adaptive card contents are exposed; wait_for_count sees sends and replies."""
    card = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock"}]}
    attachment = Attachment(content_type=ADAPTIVE_CARD, content=card)
    task = asyncio.create_task(
        client.conversations.reply_to_activity(
            PERSONAL, "1", Activity(type="message", attachments=[attachment])
        )
    )
    records = await emu.wait_for_count(1, timeout=5.0)
    await task
    assert records[0].operation == "reply"
    assert emu.cards() == [card]
    assert emu.cards("a:1other") == []


async def test_wait_for_timeout_explains(
    emu: ConnectorEmulator, client: TeamsConnectorClient
) -> None:
    """A timed-out wait raises AssertionError listing what did arrive."""
    await client.conversations.send_to_conversation(PERSONAL, _message("bara en"))
    with pytest.raises(AssertionError) as caught:
        await emu.wait_for_count(2, timeout=0.2)
    assert "bara en" in str(caught.value)
    assert "2 x 'sent'" in str(caught.value)


async def test_reset_clears_records_and_faults(
    emu: ConnectorEmulator, client: TeamsConnectorClient
) -> None:
    """reset() forgets records and faults but keeps posted activities."""
    sent = await client.conversations.send_to_conversation(PERSONAL, _message("kvar"))
    emu.fail_next(500, times=5)
    emu.reset()
    assert emu.requests == []
    await client.conversations.send_to_conversation(PERSONAL, _message("ny"))
    assert emu.texts() == ["ny"]
    assert emu.current(PERSONAL, sent.id) is not None


async def test_malformed_body_and_unknown_route(emu: ConnectorEmulator) -> None:
    """Invalid JSON answers 400 and unknown paths 404, both recorded as rejected."""
    url = f"{emu.service_url}v3/conversations/a%3A1/activities"
    async with aiohttp.ClientSession() as session:
        async with session.post(url, data=b"{not json") as response:
            assert response.status == 400
            assert (await response.json())["error"]["code"] == "BadSyntax"
        async with session.get(f"{emu.service_url}v3/nope") as response:
            assert response.status == 404
    assert [(r.operation, r.status) for r in emu.rejected] == [("send", 400), ("unknown", 404)]


async def test_max_activity_bytes() -> None:
    """With a size limit, oversized activities answer 413."""
    async with ConnectorEmulator(max_activity_bytes=2048) as small:
        connector = TeamsConnectorClient(small.service_url, token="")
        try:
            with pytest.raises(aiohttp.ClientResponseError) as caught:
                await connector.conversations.send_to_conversation(PERSONAL, _message("x" * 4096))
        finally:
            await connector.close()
    assert caught.value.status == 413


# ---- What the Agents SDK's connector client itself does on errors (matters for the outbox) ----


@pytest.mark.parametrize("operation", ["send", "update", "get_members"])
async def test_client_never_retries(
    emu: ConnectorEmulator, client: TeamsConnectorClient, operation: str
) -> None:
    """POST, PUT and GET alike: one request, one error with status and Retry-After kept.

    botbuilder's client retried PUT and GET silently and lost the status after three tries;
    the Agents SDK's retries nothing, so the bot's own retry (in a turn) and the outbox
    (after it) decide, from the status and Retry-After the error carries.
    """
    sent = await client.conversations.send_to_conversation(PERSONAL, _message("x"))
    emu.add_member(PERSONAL, "29:1m", "Testperson Ett")
    emu.reset()
    emu.fail_next(503, retry_after=7, operation=operation)
    calls = {
        "send": lambda: client.conversations.send_to_conversation(PERSONAL, _message("y")),
        "update": lambda: client.conversations.update_activity(PERSONAL, sent.id, _message("y")),
        "get_members": lambda: client.conversations.get_conversation_members(PERSONAL),
    }
    with pytest.raises(aiohttp.ClientResponseError) as caught:
        await calls[operation]()
    assert caught.value.status == 503
    assert caught.value.headers is not None
    assert caught.value.headers["Retry-After"] == "7"
    assert [(r.operation, r.status) for r in emu.requests] == [(operation, 503)]


async def test_client_keeps_the_error_body_for_sends(
    emu: ConnectorEmulator, client: TeamsConnectorClient
) -> None:
    """A refused send carries Teams' error body in the message; a member lookup only the status."""
    emu.fail_next(400, operation="send")
    with pytest.raises(aiohttp.ClientResponseError) as caught:
        await client.conversations.send_to_conversation(PERSONAL, _message("x"))
    assert caught.value.status == 400
    assert _error_code(caught.value)
    user = make_user(2)
    user.add_to(emu)
    with pytest.raises(aiohttp.ClientResponseError) as missing:
        await client.get_conversation_member(user.conversation_id, "29:1nobody")
    assert missing.value.status == 404


async def test_teams_client_member_and_paged_members(
    emu: ConnectorEmulator, client: TeamsConnectorClient
) -> None:
    """The Teams client's own member lookup and `pagedMembers` path reach the emulator."""
    user = make_user(4)
    user.add_to(emu)
    member = await client.get_conversation_member(user.conversation_id, user.user_id)
    assert (member.id, member.name, member.aad_object_id) == (
        user.user_id,
        "Testperson Fyra",
        user.aad_object_id,
    )
    paged = await client.get_conversation_paged_member(user.conversation_id, 10, "")
    assert [m.id for m in paged.members] == [user.user_id]
