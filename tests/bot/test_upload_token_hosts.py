"""The bot's Bot Connector token goes only where Teams keeps a bot's attachments.

A pasted image's `contentUrl` on the activity's serviceUrl gets the token; one anywhere else is
fetched without it; a Teams file's `downloadUrl` never gets it. Two loopback file servers record
the Authorization header each request carried: one stands for the serviceUrl, one for elsewhere.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.teams.uploads import collect_uploads, token_may_go_to
from tests.bot.test_uploads import BOT_TOKEN, PNG, file_attachment, inline_image, token
from tests.support.file_server import FileServer


@pytest.fixture
async def teams() -> AsyncIterator[FileServer]:
    """The activity's serviceUrl (the Bot Connector's attachment views)."""
    async with FileServer() as served:
        yield served


@pytest.fixture
async def elsewhere() -> AsyncIterator[FileServer]:
    """Any other server an attachment may name."""
    async with FileServer() as served:
        yield served


async def test_the_token_goes_to_the_service_url_and_nowhere_else(
    teams: FileServer, elsewhere: FileServer
) -> None:
    attachments = [
        inline_image(teams.serve("v3/attachments/a1/views/original", PNG, token=BOT_TOKEN)),
        inline_image(elsewhere.serve("v3/attachments/a2/views/original", PNG)),
        file_attachment(teams.serve("personal/file.png", PNG), "file.png"),
    ]

    async with aiohttp.ClientSession() as http:
        uploads, errors = await collect_uploads(
            attachments,
            session=http,
            token_provider=token(),
            service_url=teams.base_url + "/",
            max_bytes=256 * 1024,
            timeout_seconds=5,
        )

    assert errors == [] and len(uploads) == 3
    assert [r.authorization for r in teams.requests_to("v3/attachments/a1/views/original")] == [
        f"Bearer {BOT_TOKEN}"
    ]
    assert [r.authorization for r in elsewhere.requests] == [None]
    assert [r.authorization for r in teams.requests_to("personal/file.png")] == [None]


async def test_an_image_elsewhere_that_needs_a_token_does_not_get_ours(
    teams: FileServer, elsewhere: FileServer
) -> None:
    # A server that answers only to a bearer token: it is asked without one and refuses.
    url = elsewhere.serve("v3/attachments/a1/views/original", PNG, token=BOT_TOKEN)

    async with aiohttp.ClientSession() as http:
        uploads, errors = await collect_uploads(
            [inline_image(url)],
            session=http,
            token_provider=token(),
            service_url=teams.base_url,
            max_bytes=256 * 1024,
            timeout_seconds=5,
        )

    assert uploads == [] and [e.code for e in errors] == ["download_failed"]
    assert [r.authorization for r in elsewhere.requests] == [None]


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://smba.trafficmanager.net/emea/v3/attachments/x/views/original", True),
        ("https://smba.trafficmanager.net/amer/v3/attachments/x/views/original", True),
        ("https://europe.webchat.botframework.com/v3/attachments/x", True),
        ("https://teams.contoso.example/v3/attachments/x", True),  # the serviceUrl's host
        ("https://teams.contoso.example:8443/v3/attachments/x", False),  # another port
        ("http://teams.contoso.example/v3/attachments/x", False),  # plain http
        ("http://smba.trafficmanager.net/emea/v3/attachments/x", False),
        ("https://smba.trafficmanager.net:444/emea/v3/attachments/x", False),
        ("https://evil.example/v3/attachments/x", False),
        ("https://smba.trafficmanager.net.evil.example/v3/attachments/x", False),
        ("https://botframework.com.evil.example/x", False),
        ("https://evilbotframework.com/x", False),
        ("https://contoso.sharepoint.com/personal/x.png", False),
        ("https://[::1", False),
    ],
)
def test_token_may_go_to(url: str, allowed: bool) -> None:
    assert token_may_go_to(url, "https://teams.contoso.example/") is allowed


def test_plain_http_only_to_a_loopback_service_url() -> None:
    assert token_may_go_to("http://127.0.0.1:3979/v3/x", "http://127.0.0.1:3979/")
    assert not token_may_go_to("http://127.0.0.1:3980/v3/x", "http://127.0.0.1:3979/")
    assert not token_may_go_to("http://10.0.0.5/v3/x", "http://10.0.0.5/")
    assert not token_may_go_to("https://teams.contoso.example/x", None)
