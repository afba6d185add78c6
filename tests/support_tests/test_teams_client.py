"""Checks TeamsClient posts JSON and raw bodies to a bot endpoint."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from tests.support.teams_client import TeamsClient


async def _echo(request: web.Request) -> web.StreamResponse:
    """Answer like a bot: 415 for non-JSON, 400 for bad JSON, else echo some fields."""
    if request.content_type != "application/json":
        return web.Response(status=415, text="unsupported")
    try:
        body = await request.json()
    except ValueError:
        return web.Response(status=400)
    return web.json_response(
        {"type": body.get("type"), "auth": request.headers.get("Authorization")}, status=200
    )


@pytest.fixture
async def bot_url() -> AsyncIterator[str]:
    """Yield the base URL of a tiny fake bot."""
    app = web.Application()
    app.router.add_post("/api/messages", _echo)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


async def test_post_json_and_raw(bot_url: str) -> None:
    """JSON activities, malformed bytes and wrong content types all reach the bot."""
    async with TeamsClient(bot_url, auth_header="Bearer t") as teams:
        assert await teams.post({"type": "message"}) == (
            200,
            {"type": "message", "auth": "Bearer t"},
        )
        assert await teams.post(raw=b"{oops") == (400, None)
        assert await teams.post({"type": "message"}, content_type="text/plain") == (
            415,
            "unsupported",
        )


async def test_full_url_is_accepted(bot_url: str) -> None:
    """A bot_url already ending in /api/messages is used as is."""
    teams = TeamsClient(bot_url + "/api/messages")
    try:
        status, _ = await teams.post({"type": "message"})
    finally:
        await teams.close()
    assert status == 200
