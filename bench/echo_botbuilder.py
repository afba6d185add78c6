"""A bare botbuilder 4.17.1 echo bot, the baseline of `bench.turns` (not part of Kanalkollen).

It runs in its own venv, which `bench.turns` creates in .cache/bench/botbuilder-4.17.1/;
botbuilder is not a dependency of the project. Served the way botbuilder's aiohttp samples
serve a bot: `CloudAdapter(ConfigurationBotFrameworkAuthentication(config))` with an empty
app id (no authentication), `aiohttp_error_middleware`, and a route calling
`adapter.process(request, bot)`; `GET /healthz` tells the benchmark it is listening.

    <venv>/bin/python -I bench/echo_botbuilder.py --port 3979
"""

from __future__ import annotations

import argparse
import sys
from types import SimpleNamespace

from aiohttp import web
from botbuilder.core import ActivityHandler, MessageFactory, TurnContext
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
    aiohttp_error_middleware,
)


class EchoBot(ActivityHandler):  # type: ignore[misc]
    """botbuilder's echo sample without the greeting: replies with the text it got."""

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        """Echoes the message text back into the conversation."""
        await turn_context.send_activity(MessageFactory.text(turn_context.activity.text))


def create_app() -> web.Application:
    """The echo bot's aiohttp app (no app id, so no JWT checks)."""
    config = SimpleNamespace(APP_ID="", APP_PASSWORD="", APP_TYPE="MultiTenant", APP_TENANTID="")
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(config))
    bot = EchoBot()

    async def messages(request: web.Request) -> web.StreamResponse:
        response: web.StreamResponse = await adapter.process(request, bot)
        return response

    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application(middlewares=[aiohttp_error_middleware])
    app.router.add_post("/api/messages", messages)
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
