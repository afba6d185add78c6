"""An in-process Teams / Bot Connector REST emulator for end-to-end tests."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy

from tests.support.connector_faults import Fault, RateLimiter, RateScope, format_retry_after
from tests.support.connector_records import (
    SENT_OPERATIONS,
    Received,
    adaptive_cards,
    error_body,
)
from tests.support.connector_routes import Route, resolve
from tests.support.teams_ids import group_conversation_id, new_message_id, personal_conversation_id

__all__ = ["ConnectorEmulator", "Fault", "Received"]

Predicate = Callable[["ConnectorEmulator"], bool]
# How long a wait for what the bot sends may take before the test fails: a deadline, not a
# pause (a wait ends as soon as its condition holds). Generous, because the suite runs on every
# CPU at once (pytest-xdist) and a loaded machine is slow.
WAIT_SECONDS = 30.0
_BODY_OPERATIONS = frozenset({"create", "send", "reply", "update"})


@dataclass
class _Answer:
    """What a handler decided to answer."""

    status: int
    payload: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    conversation_id: str | None = None
    result_id: str | None = None


def _error(status: int, code: str | None = None, message: str | None = None) -> _Answer:
    """Return an error answer with a Bot Connector error body."""
    return _Answer(status, error_body(status, code, message))


def _peer(request: web.Request) -> tuple[str, int] | None:
    transport = request.transport
    peer = transport.get_extra_info("peername") if transport is not None else None
    return (str(peer[0]), int(peer[1])) if peer else None


def _tenant_of(body: dict[str, Any]) -> str | None:
    """Return the tenant of ConversationParameters; keys match case-insensitively like .NET."""
    for key, value in body.items():
        if key.lower() == "tenantid" and value:
            return str(value)
    tenant = ((body.get("channelData") or {}).get("tenant") or {}).get("id")
    return str(tenant) if tenant else None


class ConnectorEmulator:
    """Serves the Bot Connector REST API on 127.0.0.1 and records every request."""

    def __init__(
        self, *, require_tenant: bool = True, max_activity_bytes: int | None = None
    ) -> None:
        """Configure the emulator; call start() or use `async with` to serve."""
        self.require_tenant = require_tenant
        self.max_activity_bytes = max_activity_bytes
        self.poll_interval = 0.05
        # The clock of the rate limit's sliding window; a test moves it instead of waiting.
        self.monotonic: Callable[[], float] = time.monotonic
        self.requests: list[Received] = []
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._condition = asyncio.Condition()
        self._faults: list[Fault] = []
        self._limiter: RateLimiter | None = None
        self._latency: dict[str | None, float] = {}
        self._blocked: dict[str, str] = {}
        self._activities: dict[tuple[str, str], dict[str, Any]] = {}
        self._rosters: dict[str, dict[str, dict[str, Any]]] = {}
        self._users: dict[str, dict[str, Any]] = {}
        self._conversations: dict[str, dict[str, Any]] = {}

    # ----------------------------------------------------------------- lifecycle

    async def start(self) -> ConnectorEmulator:
        """Start serving on an ephemeral loopback port."""
        if self._runner is not None:
            return self
        self._condition = asyncio.Condition()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._runner = runner
        self._port = int(runner.addresses[0][1])
        return self

    async def close(self) -> None:
        """Stop serving and release the port."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> ConnectorEmulator:
        """Start the emulator for an `async with` block."""
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the emulator at the end of an `async with` block."""
        await self.close()

    @property
    def port(self) -> int:
        """Return the TCP port the emulator listens on."""
        if self._port is None:
            raise RuntimeError("ConnectorEmulator is not started")
        return self._port

    @property
    def service_url(self) -> str:
        """Return the serviceUrl to put in activities, with a trailing slash like Teams."""
        return f"http://127.0.0.1:{self.port}/"

    # --------------------------------------------------------------------- state

    def add_member(
        self,
        conversation_id: str,
        id: str,
        name: str,
        aad_object_id: str | None = None,
        *,
        tenant_id: str | None = None,
        email: str | None = None,
        user_principal_name: str | None = None,
        given_name: str | None = None,
        surname: str | None = None,
        user_role: str = "user",
    ) -> dict[str, Any]:
        """Add a TeamsChannelAccount-shaped member to a conversation's roster."""
        member = {
            "id": id,
            "name": name,
            "aadObjectId": aad_object_id,
            "givenName": given_name,
            "surname": surname,
            "email": email,
            "userPrincipalName": user_principal_name,
            "tenantId": tenant_id,
            "userRole": user_role,
        }
        member = {key: value for key, value in member.items() if value is not None}
        self._users[id] = member
        self._rosters.setdefault(conversation_id, {})[id] = member
        return copy.deepcopy(member)

    def seed_activity(
        self, conversation_id: str, activity_id: str, activity: dict[str, Any]
    ) -> None:
        """Store an activity as if it had been posted earlier, so it can be updated."""
        self._activities[(conversation_id, activity_id)] = {**activity, "id": activity_id}

    def current(self, conversation_id: str, activity_id: str) -> dict[str, Any] | None:
        """Return the latest content of a posted activity, or None if unknown or deleted."""
        stored = self._activities.get((conversation_id, activity_id))
        return copy.deepcopy(stored) if stored is not None else None

    def members_of(self, conversation_id: str) -> list[dict[str, Any]]:
        """Return the roster the emulator holds for a conversation."""
        return copy.deepcopy(list(self._rosters.get(conversation_id, {}).values()))

    # ------------------------------------------------------------------- faults

    def fail_next(
        self,
        status: int,
        *,
        times: int = 1,
        retry_after: float | None = None,
        operation: str | None = None,
        conversation_id: str | None = None,
        code: str | None = None,
        message: str | None = None,
    ) -> Fault:
        """Answer the next `times` matching requests with `status` (and Retry-After)."""
        fault = Fault(status, times, retry_after, operation, conversation_id, code, message)
        self._faults.append(fault)
        return fault

    def rate_limit(
        self,
        per_second: float | None,
        *,
        scope: RateScope = "global",
        retry_after: float = 1.0,
        operations: Collection[str] | None = None,
    ) -> None:
        """Throttle requests above `per_second` with 429 + Retry-After; None turns it off."""
        if per_second is None:
            self._limiter = None
            return
        if per_second <= 0:
            raise ValueError("per_second must be positive")
        self._limiter = RateLimiter(per_second, scope, retry_after, operations)

    def block_conversation(
        self, conversation_id: str, *, code: str = "ConversationBlockedByUser"
    ) -> None:
        """Answer every request for a conversation with 403, as after a user blocks the bot."""
        self._blocked[conversation_id] = code

    def unblock_conversation(self, conversation_id: str) -> None:
        """Stop answering a conversation's requests with 403."""
        self._blocked.pop(conversation_id, None)

    def set_latency(self, seconds: float, *, operation: str | None = None) -> None:
        """Delay answers (for one operation, or all when None) by `seconds`."""
        self._latency[operation] = seconds

    def reset(self) -> None:
        """Clear records, faults, rate limits, blocks and latency; keep conversation state."""
        self.requests.clear()
        self._faults.clear()
        self._limiter = None
        self._blocked.clear()
        self._latency.clear()

    # -------------------------------------------------------------------- views

    @property
    def received(self) -> list[Received]:
        """Return the requests answered with 2xx (delivered), in arrival order."""
        return [record for record in self.requests if record.ok]

    @property
    def rejected(self) -> list[Received]:
        """Return the requests answered with an error (faulted, throttled or invalid)."""
        return [record for record in self.requests if not record.ok]

    @property
    def sent(self) -> list[Received]:
        """Return delivered send/reply requests and creates that carried an activity."""
        return [
            record
            for record in self.received
            if record.operation in SENT_OPERATIONS
            or (record.operation == "create" and record.activity is not None)
        ]

    @property
    def updates(self) -> list[Received]:
        """Return delivered update requests."""
        return self.records("update")

    @property
    def deletes(self) -> list[Received]:
        """Return delivered delete requests."""
        return self.records("delete")

    @property
    def created_conversations(self) -> list[Received]:
        """Return delivered create-conversation requests."""
        return self.records("create")

    def records(self, operation: str) -> list[Received]:
        """Return delivered requests of one operation ("sent" means send+reply+create)."""
        if operation == "sent":
            return self.sent
        return [record for record in self.received if record.operation == operation]

    def messages_to(self, conversation_id: str) -> list[dict[str, Any]]:
        """Return the activities delivered to a conversation, in order."""
        return [
            record.activity
            for record in self.sent
            if record.conversation_id == conversation_id and record.activity is not None
        ]

    def texts(self, conversation_id: str | None = None) -> list[str]:
        """Return the non-empty texts of delivered activities."""
        return [
            record.text
            for record in self.sent
            if record.text and conversation_id in (None, record.conversation_id)
        ]

    def cards(
        self, conversation_id: str | None = None, *, include_updates: bool = False
    ) -> list[dict[str, Any]]:
        """Return adaptive card contents of delivered (and optionally updated) activities."""
        records = self.sent + (self.updates if include_updates else [])
        records.sort(key=lambda record: record.at)
        return [
            card
            for record in records
            if conversation_id in (None, record.conversation_id)
            for card in adaptive_cards(record.activity)
        ]

    def summary(self, limit: int = 30) -> str:
        """Return a multi-line description of the latest requests."""
        lines = [f"{len(self.received)} delivered, {len(self.rejected)} rejected"]
        lines += [f"  - {record.summary()}" for record in self.requests[-limit:]]
        return "\n".join(lines)

    # ------------------------------------------------------------------ waiting

    async def wait_for(
        self,
        predicate: Predicate,
        timeout: float = WAIT_SECONDS,  # noqa: ASYNC109
    ) -> None:
        """Wait until `predicate(self)` holds, else raise AssertionError with a summary."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        async with self._condition:
            while not predicate(self):
                remaining = deadline - loop.time()
                if remaining <= 0:
                    name = getattr(predicate, "__name__", repr(predicate))
                    raise AssertionError(
                        f"Timed out after {timeout}s waiting for {name}.\n{self.summary()}"
                    )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._condition.wait(), min(remaining, self.poll_interval)
                    )

    async def wait_for_count(
        self,
        n: int,
        operation: str = "sent",
        timeout: float = WAIT_SECONDS,  # noqa: ASYNC109
    ) -> list[Received]:
        """Wait for at least `n` delivered requests of `operation`; return them."""

        def enough(emu: ConnectorEmulator) -> bool:
            return len(emu.records(operation)) >= n

        enough.__name__ = f"{n} x {operation!r}"
        await self.wait_for(enough, timeout)
        return self.records(operation)

    # ------------------------------------------------------------------ serving

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        """Answer one HTTP request and record it."""
        route = resolve(request.method, request.rel_url.raw_path)
        raw = await request.read()
        body: Any = None
        answer: _Answer | None = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                answer = _error(400, "BadSyntax", "Request body is not valid JSON")
        delay = self._latency.get(route.operation, self._latency.get(None, 0.0))
        if delay > 0:
            await asyncio.sleep(delay)
        if answer is None:
            answer = self._gate(route, len(raw)) or self._handle(route, body, request)
        await self._record(request, route, body, answer)
        if answer.payload is None:
            return web.Response(status=answer.status, headers=answer.headers)
        return web.json_response(answer.payload, status=answer.status, headers=answer.headers)

    async def _record(
        self, request: web.Request, route: Route, body: Any, answer: _Answer
    ) -> None:
        """Store a record of the request and wake up waiters."""
        self.requests.append(
            Received(
                operation=route.operation,
                method=request.method,
                path=request.rel_url.raw_path,
                conversation_id=answer.conversation_id or route.conversation_id,
                activity_id=route.activity_id,
                body=body if isinstance(body, dict) else None,
                headers=CIMultiDictProxy(CIMultiDict(request.headers)),
                at=time.monotonic(),
                status=answer.status,
                member_id=route.member_id,
                result_id=answer.result_id,
                response=answer.payload,
                peer=_peer(request),
            )
        )
        async with self._condition:
            self._condition.notify_all()

    def _gate(self, route: Route, size: int) -> _Answer | None:
        """Return a scripted, blocked, throttled or too-large answer, or None to proceed."""
        conv = route.conversation_id
        for fault in self._faults:
            if fault.matches(route.operation, conv):
                fault.remaining -= 1
                answer = _error(fault.status, fault.code, fault.message)
                if fault.retry_after is not None:
                    answer.headers["Retry-After"] = format_retry_after(fault.retry_after)
                return answer
        if conv is not None and conv in self._blocked:
            return _error(403, self._blocked[conv], "The user has blocked the bot")
        limiter = self._limiter
        if limiter and not limiter.admit(route.operation, conv, self.monotonic()):
            answer = _error(429, "Throttled", "Too many requests")
            answer.headers["Retry-After"] = format_retry_after(limiter.retry_after)
            return answer
        too_big = self.max_activity_bytes is not None and size > self.max_activity_bytes
        if too_big and route.operation in _BODY_OPERATIONS:
            return _error(413, "MessageSizeTooBig", "Message size is too big")
        return None

    def _handle(self, route: Route, body: Any, request: web.Request) -> _Answer:
        """Perform the operation against the emulator state."""
        conv, activity_id = route.conversation_id, route.activity_id
        if route.operation in _BODY_OPERATIONS and not isinstance(body, dict):
            return _error(400, "BadArgument", "A JSON object body is required")
        match route.operation:
            case "create":
                return self._create(body)
            case "send" | "reply":
                return self._post_activity(str(conv), body)
            case "update":
                return self._update(str(conv), str(activity_id), body)
            case "delete":
                return self._delete(str(conv), str(activity_id))
            case "get_members" | "get_activity_members":
                return self._get_members(str(conv))
            case "get_member":
                return self._get_member(str(conv), str(route.member_id))
            case "get_paged_members":
                return self._get_paged_members(str(conv), request)
            case "delete_member":
                return self._delete_member(str(conv), str(route.member_id))
            case "get_conversations":
                return self._get_conversations()
            case "history":
                return _Answer(200, {"id": ""})
        return _error(404, "NotFound", f"No such Bot Connector route: {request.path}")

    def _create(self, body: dict[str, Any]) -> _Answer:
        """Create (or find, for 1:1) a conversation like Teams does."""
        members = [m for m in body.get("members") or [] if isinstance(m, dict) and m.get("id")]
        if not members:
            return _error(400, "BadArgument", "Conversation members are required")
        tenant = _tenant_of(body)
        if self.require_tenant and not tenant:
            return _error(400, "BadArgument", "Tenant id is required")
        is_group = bool(body.get("isGroup")) or len(members) > 1
        if is_group:
            conv = group_conversation_id()
        else:
            conv = personal_conversation_id(members[0]["id"], tenant or "")
        self._conversations[conv] = {"id": conv, "isGroup": is_group, "tenantId": tenant}
        roster = self._rosters.setdefault(conv, {})
        for member in members:
            known = self._users.get(member["id"], {})
            roster[member["id"]] = {**known, **{k: v for k, v in member.items() if v}}
        payload: dict[str, Any] = {"id": conv, "serviceUrl": self.service_url}
        activity_id = None
        if isinstance(body.get("activity"), dict):
            activity_id = new_message_id()
            self.seed_activity(conv, activity_id, body["activity"])
            payload["activityId"] = activity_id
        return _Answer(201, payload, conversation_id=conv, result_id=activity_id)

    def _post_activity(self, conv: str, body: dict[str, Any]) -> _Answer:
        """Store a sent or replied activity under a fresh id."""
        activity_id = new_message_id()
        self.seed_activity(conv, activity_id, body)
        return _Answer(201, {"id": activity_id}, result_id=activity_id)

    def _update(self, conv: str, activity_id: str, body: dict[str, Any]) -> _Answer:
        """Replace a posted activity; unknown ids answer 404 like Teams."""
        if (conv, activity_id) not in self._activities:
            return _error(404, "NotFound", f"Activity {activity_id} not found")
        self.seed_activity(conv, activity_id, body)
        return _Answer(200, {"id": activity_id}, result_id=activity_id)

    def _delete(self, conv: str, activity_id: str) -> _Answer:
        """Delete a posted activity; unknown ids answer 404."""
        if self._activities.pop((conv, activity_id), None) is None:
            return _error(404, "NotFound", f"Activity {activity_id} not found")
        return _Answer(200)

    def _get_members(self, conv: str) -> _Answer:
        """List a conversation's roster."""
        if conv not in self._rosters:
            return _error(404, "ConversationNotFound", f"Conversation {conv} not found")
        return _Answer(200, self.members_of(conv))

    def _find_member(self, conv: str, member_id: str) -> dict[str, Any] | None:
        """Find a member by Teams user id or AAD object id, as Teams accepts both."""
        for member in self._rosters.get(conv, {}).values():
            if member_id in (member.get("id"), member.get("aadObjectId")):
                return member
        return None

    def _get_member(self, conv: str, member_id: str) -> _Answer:
        """Return one member of a conversation."""
        member = self._find_member(conv, member_id)
        if member is None:
            return _error(404, "MemberNotFoundInConversation", "Member not found")
        return _Answer(200, copy.deepcopy(member))

    def _delete_member(self, conv: str, member_id: str) -> _Answer:
        """Remove one member from a conversation."""
        member = self._find_member(conv, member_id)
        if member is None:
            return _error(404, "MemberNotFoundInConversation", "Member not found")
        del self._rosters[conv][member["id"]]
        return _Answer(200)

    def _get_paged_members(self, conv: str, request: web.Request) -> _Answer:
        """Return one page of a conversation's roster."""
        if conv not in self._rosters:
            return _error(404, "ConversationNotFound", f"Conversation {conv} not found")
        members = self.members_of(conv)
        size = int(request.query.get("pageSize") or 100)
        start = int(request.query.get("continuationToken") or 0)
        end = start + size
        page: dict[str, Any] = {"members": members[start:end]}
        if end < len(members):  # the last page has no continuationToken at all, as in Teams
            page["continuationToken"] = str(end)
        return _Answer(200, page)

    def _get_conversations(self) -> _Answer:
        """List the conversations created through the emulator."""
        conversations = [
            {"id": conv, "members": self.members_of(conv)} for conv in self._conversations
        ]
        return _Answer(200, {"conversations": conversations, "continuationToken": None})
