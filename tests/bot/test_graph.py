"""The Graph client through the real msal code path, against FakeGraph on loopback TLS."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.integrations.graph import (
    GraphAuthError,
    GraphClient,
    GraphConfig,
    GraphError,
    GraphUnavailable,
    GraphUser,
)
from bot.integrations.mail_message import MailAttachment
from tests.support.fake_graph import FakeGraph

EMPLOYEE = "aaaaaaaa-0000-4000-8000-000000000001"
MANAGER = "aaaaaaaa-0000-4000-8000-000000000002"
LONER = "aaaaaaaa-0000-4000-8000-000000000003"
MAILBOX = "kanalkollen@skola.example"
REGISTRY = "registrator@skola.example"
ELIN = "elin@skola.example"
MANS = "mans@skola.example"


@pytest.fixture
async def graph() -> AsyncIterator[FakeGraph]:
    async with FakeGraph() as fake:
        fake.add_user(EMPLOYEE, "Elin Exempel", ELIN, ELIN, manager_id=MANAGER)
        fake.add_user(MANAGER, "Måns Chef", MANS, MANS)
        fake.add_user(LONER, "Lo Ensam", None, "lo@skola.example", account_enabled=False)
        fake.add_user("mailbox-id", "Kanalkollen", MAILBOX, MAILBOX)
        yield fake


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def client(graph: FakeGraph, session: aiohttp.ClientSession) -> AsyncIterator[GraphClient]:
    client = GraphClient(graph.config(), session)
    yield client
    await client.aclose()


async def test_the_manager_comes_through_msal_and_graph(
    graph: FakeGraph, client: GraphClient
) -> None:
    manager = await client.get_manager(EMPLOYEE)

    assert manager == GraphUser(MANAGER, "Måns Chef", MANS, MANS, True)
    discovery, token, lookup = graph.requests
    assert discovery.path == f"/{graph.tenant_id}/v2.0/.well-known/openid-configuration"
    assert token.form["grant_type"] == "client_credentials"
    assert token.form["client_id"] == graph.client_id
    assert token.form["scope"] == "https://graph.microsoft.com/.default"
    assert "client_secret" not in token.form  # the fake never keeps it
    assert lookup.path == f"/v1.0/users/{EMPLOYEE}/manager"
    assert lookup.bearer == "fake-graph-token-1"
    assert (
        lookup.query["$select"]
        == "id,displayName,mail,userPrincipalName,accountEnabled,department"
    )


async def test_one_token_serves_many_calls(graph: FakeGraph, client: GraphClient) -> None:
    await asyncio.gather(*(client.get_manager(EMPLOYEE) for _ in range(5)))
    await client.get_user(LONER)

    assert len(graph.token_requests) == 1
    assert {r.bearer for r in graph.graph_requests} == {"fake-graph-token-1"}


async def test_an_expiring_token_is_renewed(
    graph: FakeGraph, session: aiohttp.ClientSession
) -> None:
    graph.token_lifetime = 60  # inside the client's renewal margin
    client = GraphClient(graph.config(), session)
    try:
        await client.get_user(EMPLOYEE)
        await client.get_user(EMPLOYEE)
    finally:
        await client.aclose()

    assert [r.bearer for r in graph.graph_requests] == [
        "fake-graph-token-1",
        "fake-graph-token-2",
    ]


async def test_a_revoked_token_is_replaced_once(graph: FakeGraph, client: GraphClient) -> None:
    await client.get_user(EMPLOYEE)
    graph.revoke_tokens()

    user = await client.get_user(EMPLOYEE)

    assert user is not None and user.id == EMPLOYEE
    assert graph.tokens_issued == ["fake-graph-token-1", "fake-graph-token-2"]


async def test_a_user_is_found_by_upn_with_what_graph_knows(client: GraphClient) -> None:
    user = await client.get_user("lo@skola.example")

    assert user == GraphUser(LONER, "Lo Ensam", None, "lo@skola.example", False)


@pytest.mark.parametrize("user_id", [LONER, "nobody-0000"])
async def test_no_manager_or_no_user_is_none(client: GraphClient, user_id: str) -> None:
    assert await client.get_manager(user_id) is None
    assert await client.get_user("nobody@skola.example") is None


async def test_graph_down_is_unavailable_at_once(graph: FakeGraph, client: GraphClient) -> None:
    await client.get_manager(EMPLOYEE)  # a token and a kept-alive connection
    await graph.down()

    async with asyncio.timeout(5):
        with pytest.raises(GraphUnavailable):
            await client.get_manager(EMPLOYEE)


async def test_identity_platform_down_is_unavailable(
    graph: FakeGraph, client: GraphClient
) -> None:
    await graph.down()

    async with asyncio.timeout(5):
        with pytest.raises(GraphUnavailable):
            await client.get_manager(EMPLOYEE)


async def test_graph_comes_back_after_being_down(graph: FakeGraph, client: GraphClient) -> None:
    await graph.down()
    with pytest.raises(GraphUnavailable):
        await client.get_manager(EMPLOYEE)
    await graph.up()

    manager = await client.get_manager(EMPLOYEE)

    assert manager is not None and manager.id == MANAGER


async def test_too_many_requests_carries_retry_after(
    graph: FakeGraph, client: GraphClient
) -> None:
    graph.fail_next(429, retry_after=7)

    with pytest.raises(GraphError) as raised:
        await client.get_manager(EMPLOYEE)

    assert raised.value.status == 429
    assert raised.value.retry_after == 7.0
    assert "FakeFailure" in raised.value.message
    assert await client.get_manager(EMPLOYEE) is not None  # only the next one failed


async def test_a_server_error_is_a_graph_error(graph: FakeGraph, client: GraphClient) -> None:
    graph.fail_next(503, times=2)

    for _ in range(2):
        with pytest.raises(GraphError) as raised:
            await client.get_user(EMPLOYEE)
        assert raised.value.status == 503 and raised.value.retry_after is None


async def test_a_wrong_secret_is_an_auth_error_without_the_secret(
    graph: FakeGraph, session: aiohttp.ClientSession
) -> None:
    client = GraphClient(graph.config(client_secret="wrong-secret-value"), session)
    try:
        with pytest.raises(GraphAuthError) as raised:
            await client.get_user(EMPLOYEE)
    finally:
        await client.aclose()

    assert "invalid_client" in str(raised.value)
    assert "wrong-secret-value" not in str(raised.value)
    assert graph.graph_requests == []


async def test_an_unknown_tenant_is_an_auth_error(
    graph: FakeGraph, session: aiohttp.ClientSession
) -> None:
    client = GraphClient(graph.config(tenant_id="not-our-tenant"), session)
    try:
        with pytest.raises(GraphAuthError):
            await client.get_user(EMPLOYEE)
    finally:
        await client.aclose()


async def test_an_untrusted_certificate_is_refused(
    graph: FakeGraph, session: aiohttp.ClientSession
) -> None:
    client = GraphClient(graph.config(ca_file=None), session)
    try:
        with pytest.raises(GraphUnavailable):
            await client.get_user(EMPLOYEE)
    finally:
        await client.aclose()

    assert graph.requests == []


async def test_send_mail_posts_the_message_with_attachments(
    graph: FakeGraph, client: GraphClient
) -> None:
    plan = MailAttachment("Kanalplan för Åsen.docx", "application/octet-stream", b"PK\x03\x04")
    body = "Ny kanal på Instagram.\nAnsvarig: Måns Chef"

    await client.send_mail(MAILBOX, [REGISTRY], "Registrering: Åsens fritidsgård", body, [plan])

    request = graph.graph_requests[-1]
    assert request.method == "POST"
    assert request.path == f"/v1.0/users/{MAILBOX}/sendMail"
    assert request.json == {
        "message": {
            "subject": "Registrering: Åsens fritidsgård",
            "body": {"contentType": "Text", "content": body},
            "toRecipients": [{"emailAddress": {"address": REGISTRY}}],
            "attachments": [
                {
                    "@odata.type": "#microsoft.graph.fileAttachment",
                    "name": "Kanalplan för Åsen.docx",
                    "contentType": "application/octet-stream",
                    "contentBytes": base64.b64encode(b"PK\x03\x04").decode(),
                }
            ],
        },
        "saveToSentItems": True,
    }
    (sent,) = graph.sent_mail
    assert sent.attachments[0].data == b"PK\x03\x04"


async def test_send_mail_from_an_unknown_mailbox_is_an_error(client: GraphClient) -> None:
    with pytest.raises(GraphError) as raised:
        await client.send_mail("nobody@skola.example", ["a@skola.example"], "Ämne", "Text", [])

    assert raised.value.status == 404


async def test_send_mail_too_big_for_one_request_is_refused_before_sending(
    graph: FakeGraph, client: GraphClient
) -> None:
    big = MailAttachment("stor.zip", "application/zip", b"\0" * (3 * 1024 * 1024 + 1))

    with pytest.raises(GraphError) as raised:
        await client.send_mail(MAILBOX, ["a@skola.example"], "Paket", "Bifogat", [big])

    assert raised.value.status == 413
    assert graph.graph_requests == []


def test_the_config_hides_the_secret() -> None:
    config = GraphConfig("tenant", "client", "s3cret-value")

    assert "s3cret-value" not in repr(config)
    assert config.authority == "https://login.microsoftonline.com/tenant"
