"""Proves the Bot Connector emulator speaks the protocol botframework-connector uses."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from botbuilder.schema import (
    Activity,
    Attachment,
    ChannelAccount,
    ConversationParameters,
    ErrorResponseException,
)
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import MicrosoftAppCredentials
from msrest.exceptions import ClientRequestError

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
async def client(emu: ConnectorEmulator) -> AsyncIterator[ConnectorClient]:
    """Yield the real async ConnectorClient pointed at the emulator."""
    credentials = MicrosoftAppCredentials.empty()
    async with ConnectorClient(credentials, base_url=emu.service_url) as connector:
        yield connector


def _message(text: str, **fields: Any) -> Activity:
    """Return an outgoing message activity."""
    return Activity(type="message", text=text, **fields)


def _parameters(user_id: str, tenant_id: str | None = TENANT_ID) -> ConversationParameters:
    """Return Teams-style parameters for a 1:1 conversation with one user."""
    return ConversationParameters(
        is_group=False,
        bot=ChannelAccount(id=BOT_ID, name=BOT_NAME),
        members=[ChannelAccount(id=user_id)],
        tenant_id=tenant_id,
        channel_data={"tenant": {"id": tenant_id}} if tenant_id else None,
    )


async def test_service_url_is_loopback_with_trailing_slash(emu: ConnectorEmulator) -> None:
    """The serviceUrl looks like Teams' (trailing slash) but points at 127.0.0.1."""
    assert emu.service_url == f"http://127.0.0.1:{emu.port}/"


async def test_create_conversation_is_stable_per_user(
    emu: ConnectorEmulator, client: ConnectorClient
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
    # botbuilder-schema 4.17.1 serializes ConversationParameters.tenant_id as "tenantID".
    assert emu.created_conversations[0].body["tenantID"] == TENANT_ID
    assert emu.created_conversations[0].conversation_id == first.id


async def test_create_conversation_matches_factory_user(
    emu: ConnectorEmulator, client: ConnectorClient
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
    emu: ConnectorEmulator, client: ConnectorClient
) -> None:
    """Teams refuses to create a conversation without a tenant id."""
    with pytest.raises(ErrorResponseException) as caught:
        await client.conversations.create_conversation(_parameters("29:1x", tenant_id=None))
    assert caught.value.response.status_code == 400
    assert emu.created_conversations == []
    assert len(emu.rejected) == 1


async def test_create_conversation_with_activity(
    emu: ConnectorEmulator, client: ConnectorClient
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
    emu: ConnectorEmulator, client: ConnectorClient, conversation_id: str
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
    emu: ConnectorEmulator, client: ConnectorClient
) -> None:
    """Updating an activity Teams never saw answers 404 and is not counted as delivered."""
    with pytest.raises(ErrorResponseException) as caught:
        await client.conversations.update_activity(PERSONAL, "999", _message("x"))
    assert caught.value.response.status_code == 404
    assert caught.value.error.error.code == "NotFound"
    assert emu.updates == []
    assert [r.operation for r in emu.rejected] == ["update"]


async def test_authorization_header_is_recorded(
    emu: ConnectorEmulator, client: ConnectorClient
) -> None:
    """The Authorization header the bot sends is kept on the record."""
    await client.conversations.send_to_conversation(
        PERSONAL, _message("hej"), custom_headers={"Authorization": "Bearer emulated"}
    )
    assert emu.sent[0].authorization == "Bearer emulated"
    assert emu.sent[0].headers["authorization"] == "Bearer emulated"


async def test_members(emu: ConnectorEmulator, client: ConnectorClient) -> None:
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
    assert paged.continuation_token is None

    with pytest.raises(ErrorResponseException) as caught:
        await client.conversations.get_conversation_member(user.conversation_id, "29:1nobody")
    assert caught.value.response.status_code == 404
    assert caught.value.error.error.code == "MemberNotFoundInConversation"
    with pytest.raises(ErrorResponseException):
        await client.conversations.get_conversation_members("a:1unknown")


async def test_fail_next_429_exposes_retry_after(
    emu: ConnectorEmulator, client: ConnectorClient
) -> None:
    """A scripted 429 reaches the caller with Retry-After and is not delivered."""
    emu.fail_next(429, retry_after=2)
    with pytest.raises(ErrorResponseException) as caught:
        await client.conversations.send_to_conversation(PERSONAL, _message("strypt"))
    assert caught.value.response.status_code == 429
    assert caught.value.response.headers["Retry-After"] == "2"
    assert emu.sent == []
    assert [(r.operation, r.status) for r in emu.rejected] == [("send", 429)]

    await client.conversations.send_to_conversation(PERSONAL, _message("igen"))
    assert emu.texts() == ["igen"]


async def test_fail_next_403_blocked_body(emu: ConnectorEmulator, client: ConnectorClient) -> None:
    """A 403 carries the ConversationBlockedByUser error code by default."""
    emu.fail_next(403)
    with pytest.raises(ErrorResponseException) as caught:
        await client.conversations.send_to_conversation(PERSONAL, _message("x"))
    assert caught.value.response.status_code == 403
    assert caught.value.error.error.code == "ConversationBlockedByUser"


async def test_fail_next_matches_operation_and_conversation(
    emu: ConnectorEmulator, client: ConnectorClient
) -> None:
    """Faults only hit requests with the given operation and conversation."""
    other = CONVERSATION_IDS[1]
    emu.fail_next(503, times=2, operation="send", conversation_id=other)
    await client.conversations.send_to_conversation(PERSONAL, _message("a"))
    for _ in range(2):
        with pytest.raises(ErrorResponseException):
            await client.conversations.send_to_conversation(other, _message("b"))
    await client.conversations.send_to_conversation(other, _message("c"))
    assert emu.texts() == ["a", "c"]
    assert len(emu.rejected) == 2


async def test_block_conversation(emu: ConnectorEmulator, client: ConnectorClient) -> None:
    """A blocked conversation answers 403 until unblocked."""
    emu.block_conversation(PERSONAL)
    with pytest.raises(ErrorResponseException) as caught:
        await client.conversations.send_to_conversation(PERSONAL, _message("x"))
    assert caught.value.error.error.code == "ConversationBlockedByUser"
    emu.unblock_conversation(PERSONAL)
    await client.conversations.send_to_conversation(PERSONAL, _message("y"))
    assert emu.texts() == ["y"]


async def test_rate_limit_global(emu: ConnectorEmulator, client: ConnectorClient) -> None:
    """Requests above the rate answer 429 with Retry-After; the window slides."""
    emu.rate_limit(3, retry_after=1)
    statuses = []
    for index in range(5):
        try:
            await client.conversations.send_to_conversation(PERSONAL, _message(str(index)))
            statuses.append(201)
        except ErrorResponseException as error:
            statuses.append(error.response.status_code)
            assert error.response.headers["Retry-After"] == "1"
    assert statuses == [201, 201, 201, 429, 429]
    assert emu.texts() == ["0", "1", "2"]
    await asyncio.sleep(1.05)
    await client.conversations.send_to_conversation(PERSONAL, _message("later"))
    assert emu.texts()[-1] == "later"


async def test_rate_limit_per_conversation(
    emu: ConnectorEmulator, client: ConnectorClient
) -> None:
    """With scope="conversation" each conversation has its own budget."""
    emu.rate_limit(1, scope="conversation")
    for conversation_id in CONVERSATION_IDS:
        await client.conversations.send_to_conversation(conversation_id, _message("ok"))
    with pytest.raises(ErrorResponseException) as caught:
        await client.conversations.send_to_conversation(PERSONAL, _message("too fast"))
    assert caught.value.response.status_code == 429
    assert len(emu.sent) == 2


async def test_cards_and_wait_for_count(emu: ConnectorEmulator, client: ConnectorClient) -> None:
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


async def test_wait_for_timeout_explains(emu: ConnectorEmulator, client: ConnectorClient) -> None:
    """A timed-out wait raises AssertionError listing what did arrive."""
    await client.conversations.send_to_conversation(PERSONAL, _message("bara en"))
    with pytest.raises(AssertionError) as caught:
        await emu.wait_for_count(2, timeout=0.2)
    assert "bara en" in str(caught.value)
    assert "2 x 'sent'" in str(caught.value)


async def test_reset_clears_records_and_faults(
    emu: ConnectorEmulator, client: ConnectorClient
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
        credentials = MicrosoftAppCredentials.empty()
        async with ConnectorClient(credentials, base_url=small.service_url) as connector:
            with pytest.raises(ErrorResponseException) as caught:
                await connector.conversations.send_to_conversation(PERSONAL, _message("x" * 4096))
    assert caught.value.response.status_code == 413


# ---- What botframework-connector itself does on errors (matters for the outbox) ----


async def test_client_does_not_retry_post(emu: ConnectorEmulator, client: ConnectorClient) -> None:
    """send/reply/create (POST) are never retried by the client: one request, one error."""
    emu.fail_next(503, retry_after=1)
    with pytest.raises(ErrorResponseException) as caught:
        await client.conversations.send_to_conversation(PERSONAL, _message("x"))
    assert caught.value.response.status_code == 503
    assert len(emu.requests) == 1


async def test_client_silently_retries_put_and_get(
    emu: ConnectorEmulator, client: ConnectorClient
) -> None:
    """update (PUT) and GETs are retried by urllib3 on 5xx, and on 429 with Retry-After."""
    sent = await client.conversations.send_to_conversation(PERSONAL, _message("x"))
    emu.fail_next(503, operation="update")
    await client.conversations.update_activity(PERSONAL, sent.id, _message("y"))
    assert [r.status for r in emu.requests if r.operation == "update"] == [503, 200]

    emu.add_member(PERSONAL, "29:1m", "Testperson Ett")
    emu.fail_next(429, retry_after=1, operation="get_members")
    started = time.monotonic()
    await client.conversations.get_conversation_members(PERSONAL)
    assert time.monotonic() - started >= 0.9
    assert [r.status for r in emu.requests if r.operation == "get_members"] == [429, 200]


async def test_client_does_not_retry_429_without_retry_after(
    emu: ConnectorEmulator, client: ConnectorClient
) -> None:
    """A 429 without Retry-After is not retried, even for PUT."""
    sent = await client.conversations.send_to_conversation(PERSONAL, _message("x"))
    emu.fail_next(429, operation="update")
    with pytest.raises(ErrorResponseException):
        await client.conversations.update_activity(PERSONAL, sent.id, _message("y"))
    assert len(emu.records("update")) == 0


async def test_client_exhausted_retries_lose_status(
    emu: ConnectorEmulator, client: ConnectorClient
) -> None:
    """After 3 retries the client raises ClientRequestError, not ErrorResponseException."""
    client.config.retry_policy.backoff_factor = 0  # the default 0.8 would sleep 1.6 s + 3.2 s
    sent = await client.conversations.send_to_conversation(PERSONAL, _message("x"))
    emu.fail_next(503, times=4, operation="update")
    with pytest.raises(ClientRequestError) as caught:
        await client.conversations.update_activity(PERSONAL, sent.id, _message("y"))
    assert "too many 503 error responses" in str(caught.value)
    assert [r.status for r in emu.requests if r.operation == "update"] == [503] * 4
