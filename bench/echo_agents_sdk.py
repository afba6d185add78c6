"""A bare Microsoft 365 Agents SDK echo bot, a baseline of `bench.turns` (not Kanalkollen).

It runs in the project's venv (the SDK is Kanalkollen's dependency) and uses nothing of
Kanalkollen. Served the way the SDK's aiohttp samples serve an agent: the stock
`CloudAdapter` on an `MsalConnectionManager` whose service connection allows anonymous
requests (the samples' local-development configuration: no client id, so no tokens either
way), `jwt_authorization_middleware`, and a route calling `adapter.process(request, bot)`;
`GET /healthz` tells the benchmark it is listening.

    .venv/bin/python -I bench/echo_agents_sdk.py --port 3980
"""

from __future__ import annotations

import argparse
import sys

from aiohttp import web
from microsoft_agents.authentication.msal import MsalConnectionManager
from microsoft_agents.hosting.aiohttp import CloudAdapter, jwt_authorization_middleware
from microsoft_agents.hosting.core import (
    ActivityHandler,
    AgentAuthConfiguration,
    MessageFactory,
    TurnContext,
)


class EchoBot(ActivityHandler):
    """The SDK's echo sample without the greeting: replies with the text it got."""

    async def on_message_activity(self, turn_context: TurnContext) -> None:  # type: ignore[override]
        """Echoes the message text back into the conversation."""
        await turn_context.send_activity(MessageFactory.text(turn_context.activity.text or ""))


def create_app() -> web.Application:
    """The echo bot's aiohttp app (anonymous requests allowed, as in local development)."""
    configuration = AgentAuthConfiguration(anonymous_allowed=True)
    connections = MsalConnectionManager(
        connections_configurations={"SERVICE_CONNECTION": configuration}
    )
    adapter = CloudAdapter(connection_manager=connections)
    bot = EchoBot()

    async def messages(request: web.Request) -> web.StreamResponse:
        response = await adapter.process(request, bot)
        return response if response is not None else web.Response(status=202)

    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application(middlewares=[jwt_authorization_middleware])
    app["agent_configuration"] = configuration
    app.router.add_post("/api/messages", messages)
    # The SDK's middleware checks every route; readiness is asked without a token too.
    app.router.add_get("/healthz", healthz)
    return app


def main(argv: list[str] | None = None) -> int:
    """Serves the echo bot on 127.0.0.1 until SIGTERM or SIGINT."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    web.run_app(create_app(), host="127.0.0.1", port=args.port, print=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
