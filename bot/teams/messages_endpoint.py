"""Our thin /api/messages handler around `adapter.process_activity`.

Written instead of `CloudAdapter.process` and the SDK's JWT middleware, so that bad input gets
a precise 4xx (the SDK answers 500 to an activity that fails validation, and 501 with an empty
body to an invoke nobody answered), the tenant is checked before anything is stored, and an
activity is parsed once.

Outside local mode the Bot Connector's token is checked before the body is read (a caller
without one is answered 401 at once, and holds no connection while it trickles a body), and the
body must arrive within `body_read_timeout_seconds` (408). Only tokens that the Bot Framework
issued are accepted, and their `serviceurl` must be the activity's (`channel_tokens.py`).

A message with files is acknowledged at once and its turn runs in the background: Teams gives
up on an answer after 15 seconds and posts the message again, and a file server may be slow or
never answer. The turn still runs in its conversation's order, downloads each file with its own
timeout, and tells the person in the chat what arrived and what did not.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from microsoft_agents.activity import Activity
from microsoft_agents.hosting.core import Agent, ChannelServiceAdapter
from microsoft_agents.hosting.core.authorization import ClaimsIdentity
from pydantic import ValidationError

from bot.settings import Settings
from bot.teams.channel_tokens import (
    ChannelKeysUnavailable,
    ChannelTokenError,
    ChannelTokens,
    same_service_url,
)
from bot.teams.turn_recorder import tenant_of
from bot.teams.upload_receipts import UploadReceipts
from bot.teams.uploads import carries_files
from domain.organisations import Organisations

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 256 * 1024
# Teams' activities are a few levels deep; deeper JSON is refused before anything walks it
# (recursive code, ours or the SDK's, would otherwise hit Python's recursion limit: a 5xx).
MAX_JSON_DEPTH = 64
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


def _without_empty_strings(value: Any) -> Any:
    """Drops empty-string fields, which the SDK's models refuse but some clients send."""
    if isinstance(value, dict):
        return {
            key: _without_empty_strings(item)
            for key, item in value.items()
            if not (item == "" and key not in ("text", "name"))
        }
    if isinstance(value, list):
        return [_without_empty_strings(item) for item in value]
    return value


def _deeper_than(value: Any, limit: int) -> bool:
    """Tells whether JSON nests more than `limit` levels; walks without recursion."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def parse_activity(data: dict[str, Any]) -> Activity | None:
    """The activity in a request body, or None when it is not one."""
    try:
        return Activity.model_validate(data)
    except (ValidationError, ValueError, TypeError, RecursionError):
        pass
    try:
        return Activity.model_validate(_without_empty_strings(data))
    except (ValidationError, ValueError, TypeError, RecursionError):
        return None


def _is_service_url(value: str) -> bool:
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


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


class ConversationTurns:
    """One turn at a time per conversation in this process, in the order they arrived.

    Teams posts the messages of one conversation concurrently (20 files dropped at once are 20
    activities); each turn reads and writes the conversation's dialog state, so they run one
    after another. A turn takes its place in line when its request arrives (`enter`), before
    anything awaits, so a turn that runs in the background keeps its order too. Between
    instances the state's eTag decides (the turn is run again).
    """

    def __init__(self) -> None:
        self._tails: dict[str, asyncio.Future[None]] = {}

    def enter(self, conversation_id: str) -> TurnPlace:
        """Takes the conversation's next place in line; `async with` it to run the turn."""
        before = self._tails.get(conversation_id)
        mine: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._tails[conversation_id] = mine
        return TurnPlace(self, conversation_id, before, mine)

    def _release(self, conversation_id: str, mine: asyncio.Future[None]) -> None:
        if not mine.done():
            mine.set_result(None)
        if self._tails.get(conversation_id) is mine:
            del self._tails[conversation_id]


class TurnPlace:
    """A turn's place in its conversation's line (see `ConversationTurns`)."""

    def __init__(
        self,
        turns: ConversationTurns,
        conversation_id: str,
        before: asyncio.Future[None] | None,
        mine: asyncio.Future[None],
    ) -> None:
        self._turns = turns
        self._conversation_id = conversation_id
        self._before = before
        self._mine = mine
        self._entered = False

    async def __aenter__(self) -> None:
        if self._before is not None:
            try:
                await asyncio.shield(self._before)
            except BaseException:
                self._leave()  # cancelled while waiting: __aexit__ will not run
                raise
        self._entered = True

    async def __aexit__(self, *_exc: object) -> None:
        self._leave()

    def _leave(self) -> None:
        before = self._before
        if self._entered or before is None or before.done():
            self._turns._release(self._conversation_id, self._mine)
        else:
            # Given up while waiting: the turns after this one still wait for the one before.
            before.add_done_callback(
                lambda _done: self._turns._release(self._conversation_id, self._mine)
            )


class MessagesEndpoint:
    """POST /api/messages: validate, authenticate, check the tenant, run the turn."""

    def __init__(
        self,
        *,
        settings: Settings,
        adapter: ChannelServiceAdapter,
        bot: Agent,
        receipts: UploadReceipts | None = None,
        organisations: Organisations | None = None,
    ) -> None:
        self._settings = settings
        self._organisations = organisations
        self._tokens = (
            None
            if settings.local_mode
            else ChannelTokens(settings.app_id, settings.bot_openid_metadata_url)
        )
        self._adapter = adapter
        self._bot = bot
        self._turns = ConversationTurns()
        self._background: set[asyncio.Task[None]] = set()
        self._receipts = receipts

    def _tenant_served(self, tenant: str | None) -> bool:
        """ALLOWED_TENANTS, and the organisation the tenant belongs to, must both serve it."""
        if self._settings.allowed_tenants and not any(
            tenant is not None and tenant.strip().lower() == allowed.strip().lower()
            for allowed in self._settings.allowed_tenants
        ):
            return False
        return self._organisations is None or self._organisations.for_tenant(tenant) is not None

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Answers one activity POSTed by the Bot Connector."""
        if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
            return _problem(413, f"The body is larger than {MAX_BODY_BYTES} bytes.")
        if request.content_type != "application/json":
            return _problem(415, "The body must be application/json.")
        # Before the body is read: a caller without a valid token waits for nothing.
        verified = await self._authenticate(request.headers.get("Authorization", ""))
        if isinstance(verified, web.Response):
            return verified
        claims, endorsements = verified
        try:
            raw = await asyncio.wait_for(
                request.read(), timeout=self._settings.body_read_timeout_seconds
            )
        except TimeoutError:
            log.warning("refused a request whose body did not arrive in time")
            return _problem(408, "The body did not arrive in time.")
        except web.HTTPRequestEntityTooLarge:
            return _problem(413, f"The body is larger than {MAX_BODY_BYTES} bytes.")
        try:
            data = json.loads(raw)
        except ValueError:  # not JSON, not UTF-8/16/32, or a number beyond Python's digit limit
            return _problem(400, "The body is not valid JSON.")
        except RecursionError:
            return _problem(400, "The body is nested too deeply.")
        if _deeper_than(data, MAX_JSON_DEPTH):
            return _problem(400, "The body is nested too deeply.")
        if not isinstance(data, dict) or not isinstance(data.get("type"), str):
            return _problem(400, "The body is not an activity.")
        refused = self._token_fits(claims, endorsements, data)
        if refused is not None:
            return refused

        if data["type"] not in HANDLED_TYPES:
            log.debug("ignored activity of type %r", data["type"][:64])
            return web.Response(status=200)
        activity = parse_activity(data)
        if activity is None:
            return _problem(400, "The body is not an activity.")
        if not activity.service_url or activity.conversation is None:
            return _problem(400, "The activity has no serviceUrl or conversation.")
        if not _is_service_url(activity.service_url):
            return _problem(400, "The activity's serviceUrl is not an http(s) URL.")
        if self._settings.local_mode and activity.channel_id == "emulator":
            _give_emulator_user_an_identity(activity)
        tenant = tenant_of(activity)
        if not self._tenant_served(tenant):
            log.warning(
                "refused an activity from tenant %r (not in ALLOWED_TENANTS or any organisation)",
                tenant,
            )
            return _problem(403, "This tenant is not served by this bot.")

        place = self._turns.enter(activity.conversation.id)  # its place in line, taken now
        if activity.type == "message" and carries_files(activity.attachments):
            # Written before the answer: if this process dies, the chat still hears of it.
            receipt = await self._receipts.open(activity) if self._receipts else None
            task = asyncio.create_task(self._background_turn(place, claims, activity, receipt))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
            return web.Response(status=200)
        async with place:
            response = await self._adapter.process_activity(claims, activity, self._bot.on_turn)
        if response is None:
            return web.Response(status=200)
        if response.body is None:
            return web.Response(status=response.status or 200)
        return web.json_response(response.body, status=response.status or 200)

    async def _background_turn(
        self,
        place: TurnPlace,
        claims: ClaimsIdentity,
        activity: Activity,
        receipt: int | None,
    ) -> None:
        ended = False
        try:
            async with place:
                try:
                    await self._adapter.process_activity(claims, activity, self._bot.on_turn)
                except Exception:
                    # The adapter's error handler has told the person; nobody else waits.
                    log.exception("a turn with files failed after it was acknowledged")
            ended = True
        finally:
            if self._receipts is not None:
                if ended:
                    await self._receipts.close(receipt)
                else:  # cancelled at shutdown: ask for the files again right away
                    await self._receipts.hasten(receipt)

    async def settle(self) -> None:
        """Waits until every acknowledged turn with files has run (tests, shutdown)."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)

    async def close(self, timeout: float) -> None:  # noqa: ASYNC109
        """Lets running turns with files finish within `timeout`, then cancels the rest."""
        if self._tokens is not None:
            await self._tokens.close()
        if not self._background:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.settle(), timeout)
        for task in list(self._background):
            log.warning("cancelled a turn with files at shutdown; its files were not kept")
            task.cancel()
        await asyncio.gather(*list(self._background), return_exceptions=True)

    async def _authenticate(
        self, authorization: str
    ) -> tuple[ClaimsIdentity, list[str] | None] | web.Response:
        """The caller's claims (anonymous in local mode, else from a valid Bot Connector token)
        and its key's endorsements; or the answer that refuses the request."""
        if self._tokens is None:
            return ClaimsIdentity({}, authentication_type="anonymous"), None
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token or " " in token:
            log.warning("refused a request without a bearer token")
            return _problem(401, "The request is not authenticated.")
        try:
            claims, endorsements = await self._tokens.verify(token)
        except ChannelKeysUnavailable:
            return _problem(503, "The Bot Framework's signing keys are not available.")
        except ChannelTokenError as error:
            log.warning("refused an unauthenticated request: %s", error)
            return _problem(401, "The request is not authenticated.")
        return ClaimsIdentity(claims, security_token=token), endorsements

    def _token_fits(
        self, claims: ClaimsIdentity, endorsements: list[str] | None, data: dict[str, Any]
    ) -> web.Response | None:
        """Refuses an activity that the token was not issued for: its `serviceurl` claim must
        be the activity's `serviceUrl` (the bot sends its own token there), and a key with
        endorsements must endorse the activity's `channelId`."""
        if self._tokens is None:
            return None
        service_url = data.get("serviceUrl")
        if not isinstance(service_url, str) or not same_service_url(
            claims.get_claim_value("serviceurl"), service_url
        ):
            log.warning("refused an activity whose serviceUrl is not the token's serviceurl")
            return _problem(401, "The token was not issued for this activity's serviceUrl.")
        channel = data.get("channelId")
        endorsed = endorsements is None or not isinstance(channel, str) or not channel
        if not endorsed and channel not in (endorsements or []):
            log.warning("refused an activity from a channel the key does not endorse")
            return _problem(401, "The token's key does not endorse this channel.")
        return None
