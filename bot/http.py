"""Our thin /api/messages handler around `adapter.process_activity`.

Written instead of `CloudAdapter.process`, which in 4.17.1 answers 500 to any invoke whose
handler returns a body (Action.Execute) and raises on a request without Content-Type.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from aiohttp import web
from botbuilder.core import Bot, InvokeResponse
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, AdaptiveCardInvokeResponse
from botframework.connector.auth import BotFrameworkAuthentication
from msrest.serialization import Model

from bot.recorder import tenant_of
from bot.settings import Settings

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 256 * 1024
# What Teams sends that the bot handles; anything else is acknowledged and ignored.
HANDLED_TYPES = frozenset(
    {
        "message",
        "conversationUpdate",
        "invoke",
        "installationUpdate",
        "event",
        "messageReaction",
        "messageUpdate",
        "messageDelete",
    }
)


def _problem(status: int, reason: str) -> web.Response:
    return web.json_response({"error": {"code": status, "message": reason}}, status=status)


def _body(response: InvokeResponse) -> Any:
    """Serialises an invoke response body, mending the SDK's own error bodies."""
    body = response.body
    if isinstance(body, AdaptiveCardInvokeResponse) and isinstance(body.value, Exception):
        # The SDK puts an Exception(code, message) in its error responses, which it cannot
        # serialise; Teams expects {"code", "message"}.
        code, message = ([*body.value.args, "", ""])[:2]
        return {
            "statusCode": int(body.status_code),
            "type": body.type,
            "value": {"code": str(code), "message": str(message)},
        }
    if isinstance(body, Model):
        return body.serialize()
    return body


EMULATOR_TENANT = "bot-framework-emulator"


def _give_emulator_user_an_identity(activity: Activity) -> None:
    """Lets the Bot Framework Emulator's user act as a person in local mode.

    The Emulator sends no tenant and no AAD object id; Teams always does. Its user id stands
    in for both, so that `make run` with the Emulator can walk through every flow.
    """
    sender = activity.from_property
    if sender is not None and not sender.aad_object_id and sender.id:
        sender.aad_object_id = sender.id
    if not isinstance(activity.channel_data, dict):
        activity.channel_data = {}
    activity.channel_data.setdefault("tenant", {"id": EMULATOR_TENANT})


class MessagesEndpoint:
    """POST /api/messages: validate, authenticate, check the tenant, run the turn."""

    def __init__(
        self,
        *,
        settings: Settings,
        authentication: BotFrameworkAuthentication,
        adapter: CloudAdapter,
        bot: Bot,
    ) -> None:
        self._settings = settings
        self._authentication = authentication
        self._adapter = adapter
        self._bot = bot

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Answers one activity POSTed by the Bot Connector."""
        if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
            return _problem(413, f"The body is larger than {MAX_BODY_BYTES} bytes.")
        if request.content_type != "application/json":
            return _problem(415, "The body must be application/json.")
        try:
            raw = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return _problem(413, f"The body is larger than {MAX_BODY_BYTES} bytes.")
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError):
            return _problem(400, "The body is not valid JSON.")
        if not isinstance(data, dict) or not isinstance(data.get("type"), str):
            return _problem(400, "The body is not an activity.")
        try:
            activity = Activity().deserialize(data)
        except Exception:
            return _problem(400, "The body is not an activity.")

        try:
            authenticated = await self._authentication.authenticate_request(
                activity, request.headers.get("Authorization", "")
            )
        except Exception as error:
            log.warning("refused an unauthenticated request: %s", type(error).__name__)
            return _problem(401, "The request is not authenticated.")

        if activity.type not in HANDLED_TYPES:
            log.debug("ignored activity of type %r", activity.type[:64])
            return web.Response(status=200)
        if not activity.service_url or activity.conversation is None:
            return _problem(400, "The activity has no serviceUrl or conversation.")
        if self._settings.local_mode and activity.channel_id == "emulator":
            _give_emulator_user_an_identity(activity)
        tenant = tenant_of(activity)
        if not self._settings.tenant_allowed(tenant):
            log.warning("refused an activity from tenant %r (not in ALLOWED_TENANTS)", tenant)
            return _problem(403, "This tenant is not served by this bot.")

        response = await self._adapter.process_activity(authenticated, activity, self._bot.on_turn)
        if response is None:
            return web.Response(status=200)
        body = _body(response)
        if body is None:
            return web.Response(status=response.status)
        return web.json_response(body, status=response.status)
