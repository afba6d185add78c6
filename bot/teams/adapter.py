"""The Agents SDK CloudAdapter, with our own connector factory and turn-error handler.

What is ours and why:

- `ConnectorFactory` gives every connector client a view of one `aiohttp.ClientSession` that
  lives as long as the process (the SDK's factory opens and closes a session per turn).
- In local mode (no app id) it sends no token at all. The SDK's factory asks MSAL for one
  whenever the claims are not anonymous, and the claims it builds itself for proactive calls
  never are, so `continue_conversation` and `create_conversation` fail with
  "TENANT_ID is not set" without an app registration.
- The bot signs no user in, so the per-turn user-token client (another HTTP session a turn)
  is replaced by one that refuses every call.
- The SDK's default turn-error handler sends the exception text to the user; ours logs it and
  says something polite, in the user's language, once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from functools import partialmethod
from typing import Any

import aiohttp
from microsoft_agents.activity import Activity, ActivityTypes, ResourceResponse
from microsoft_agents.authentication.msal import MsalAuth
from microsoft_agents.hosting.aiohttp import CloudAdapter
from microsoft_agents.hosting.core import ChannelServiceClientFactoryBase, TurnContext
from microsoft_agents.hosting.core.authorization import (
    AgentAuthConfiguration,
    AuthTypes,
    ClaimsIdentity,
)
from microsoft_agents.hosting.core.connector import UserTokenClientBase
from microsoft_agents.hosting.core.connector.teams import TeamsConnectorClient
from yarl import URL

from bot.settings import Settings
from bot.teams.turn_recorder import tenant_of
from cards.i18n import Texts
from domain.outbox import OutboxKind, retry_after_seconds
from storage.files import FileStoreUnavailable

log = logging.getLogger(__name__)

# Teams waits about 15 s for the answer to its POST; a reply inside a turn gives up well before.
CONNECTOR_TIMEOUT = aiohttp.ClientTimeout(total=10, sock_connect=5)


def auth_configuration(settings: Settings) -> AgentAuthConfiguration:
    """The SDK's view of our app registration (inbound JWT checks, outbound tokens)."""
    if settings.app_type == "UserAssignedMSI":
        auth_type = AuthTypes.user_managed_identity
    else:
        auth_type = AuthTypes.client_secret
    tenant = settings.app_tenant_id if settings.app_type == "SingleTenant" else None
    return AgentAuthConfiguration(
        auth_type=auth_type,
        client_id=settings.app_id or None,
        tenant_id=tenant or ("botframework.com" if settings.app_type == "MultiTenant" else None),
        client_secret=settings.app_password or None,
        anonymous_allowed=settings.local_mode,
    )


class _BoundSession:
    """The shared HTTP session as one connector client sees it: its base URL, its headers.

    The SDK's connector client keeps its base URL and Authorization header on the session it is
    given; this view keeps them per client, so many clients (service URLs, tokens) share one
    connection pool. Closing the view leaves the shared session open.
    """

    def __init__(self, shared: aiohttp.ClientSession, base_url: str) -> None:
        self._shared = shared
        self._base_url = URL(base_url if base_url.endswith("/") else base_url + "/")
        self.headers: dict[str, str] = {}

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        headers = {**self.headers, **(kwargs.pop("headers", None) or {})}
        if isinstance(kwargs.get("json"), dict):
            # The SDK's send_to_conversation keeps fields set to None ("id": null, which
            # TurnContext sets); the Agents Playground refuses that with 400. Absent = null.
            kwargs["json"] = _without_nulls(kwargs["json"])
        return self._shared.request(
            method, self._base_url.join(URL(url)), headers=headers, **kwargs
        )

    get = partialmethod(request, "GET")
    post = partialmethod(request, "POST")
    put = partialmethod(request, "PUT")
    delete = partialmethod(request, "DELETE")
    patch = partialmethod(request, "PATCH")

    async def close(self) -> None:
        """The shared session closes with the process, not with a turn."""


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _without_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_without_nulls(item) for item in value]
    return value


class _NoUserTokens(UserTokenClientBase):  # type: ignore[misc]
    """Kanalkollen signs no user in: the user-token service is never called."""

    def _refuse(self, *_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("Kanalkollen does not use the user-token service")

    @property
    def user_token(self) -> Any:
        return self._refuse()

    get_user_token = get_sign_in_resource = sign_out_user = _refuse
    get_token_status = get_aad_tokens = exchange_token = _refuse
    get_token_or_sign_in_resource = _refuse

    async def close(self) -> None:
        return None


class ConnectorFactory(ChannelServiceClientFactoryBase):  # type: ignore[misc]
    """Connector clients over one HTTP session; tokens from MSAL, none in local mode."""

    def __init__(self, settings: Settings, http: Callable[[], aiohttp.ClientSession]) -> None:
        self._local = settings.local_mode
        self._http = http
        self._tokens = None if settings.local_mode else MsalAuth(auth_configuration(settings))
        self._no_user_tokens = _NoUserTokens()

    async def create_connector_client(
        self,
        context: TurnContext | None,
        claims_identity: ClaimsIdentity,
        service_url: str,
        audience: str,
        scopes: list[str] | None = None,
        use_anonymous: bool = False,
    ) -> TeamsConnectorClient:
        if not service_url:
            raise TypeError("a connector client needs a service URL")
        token = ""
        if self._tokens is not None:
            token = await self._tokens.get_access_token(
                audience, scopes or claims_identity.get_token_scope()
            )
        return TeamsConnectorClient(
            endpoint=service_url, token=token, session=_BoundSession(self._http(), service_url)
        )

    async def create_user_token_client(
        self, context: TurnContext, claims_identity: ClaimsIdentity, use_anonymous: bool = False
    ) -> UserTokenClientBase:
        return self._no_user_tokens


class HttpSession:
    """The connector's HTTP session for the process's life, opened lazily, closed on shutdown."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    def __call__(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=CONNECTOR_TIMEOUT)
        return self._session

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None


# Replies inside a turn: retried on 429/5xx while Teams still waits for our answer to its POST
# (it gives up after about 15 s); what cannot be sent by then goes through the outbox.
TURN_BUDGET_SECONDS = 8.0
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_DEADLINE_KEY = "kanalkollen.reply_deadline"

# (kind, conversation id, tenant id, payload): queues a reply or an update in the outbox.
QueueReply = Callable[[OutboxKind, str, str | None, dict[str, Any]], Awaitable[None]]


def _retry_delay(error: BaseException, attempt: int) -> float | None:
    """How long to wait before sending again; None when sending again cannot help."""
    if isinstance(error, aiohttp.ClientResponseError):
        if error.status not in RETRY_STATUSES:
            return None
        waited = retry_after_seconds((error.headers or {}).get("Retry-After"))
        return waited if waited is not None else 0.5 * 2**attempt
    if isinstance(error, aiohttp.ClientConnectionError | asyncio.TimeoutError):
        return 0.5 * 2**attempt
    return None


class KanalkollenAdapter(CloudAdapter):  # type: ignore[misc]
    """The CloudAdapter on our connector factory, with our turn-error handler.

    Sends and updates inside a turn honour Retry-After and back off on 5xx, within the time
    Teams waits for the turn; after that the outbox takes the message (`queue_reply`).
    """

    def __init__(self, settings: Settings, http: HttpSession) -> None:
        super().__init__(channel_service_client_factory=ConnectorFactory(settings, http))
        self.http = http
        self.app_id = settings.app_id
        self.on_turn_error = _on_turn_error
        self.queue_reply: QueueReply | None = None

    async def process_activity(
        self, claims_identity: ClaimsIdentity, activity: Activity, callback: Any
    ) -> Any:
        """Runs a turn Teams waits for: its replies retry until the turn's deadline."""

        async def with_deadline(context: TurnContext) -> None:
            loop = asyncio.get_running_loop()
            context.turn_state[_DEADLINE_KEY] = loop.time() + TURN_BUDGET_SECONDS
            await callback(context)

        return await super().process_activity(claims_identity, activity, with_deadline)

    async def _with_retries(
        self,
        context: TurnContext,
        send: Callable[[], Awaitable[Any]],
        kind: OutboxKind,
        activity: Activity,
    ) -> Any:
        deadline = context.turn_state.get(_DEADLINE_KEY)
        if not isinstance(deadline, float):
            return await send()  # proactive: the outbox decides about retries itself
        loop = asyncio.get_running_loop()
        attempt = 0
        while True:
            try:
                return await send()
            except Exception as error:
                delay = _retry_delay(error, attempt)
                if delay is None:
                    raise
                if loop.time() + delay > deadline:
                    if await self._queue(context, kind, activity):
                        log.info("reply queued in the outbox after %s", type(error).__name__)
                        return ResourceResponse()
                    raise
                log.info("reply got %s; sending again in %.1f s", _status(error), delay)
                await asyncio.sleep(delay)
                attempt += 1

    async def _queue(self, context: TurnContext, kind: OutboxKind, activity: Activity) -> bool:
        conversation = context.activity.conversation
        if self.queue_reply is None or conversation is None:
            return False
        payload: dict[str, Any] = {
            "activity": activity.model_dump(mode="json", by_alias=True, exclude_none=True)
        }
        payload["activity"].pop("conversation", None)
        if kind is OutboxKind.TEAMS_UPDATE:
            payload["activity_id"] = activity.id
        await self.queue_reply(kind, conversation.id, tenant_of(context.activity), payload)
        return True

    async def send_activities(
        self, context: TurnContext, activities: list[Activity]
    ) -> list[ResourceResponse]:
        responses: list[ResourceResponse] = []
        for activity in activities:

            async def send(one: Activity = activity) -> list[ResourceResponse]:
                return await CloudAdapter.send_activities(self, context, [one])

            if activity.type == ActivityTypes.invoke_response:
                responses.extend(await send())
                continue
            sent = await self._with_retries(context, send, OutboxKind.TEAMS_MESSAGE, activity)
            responses.extend(sent if isinstance(sent, list) else [sent])
        return responses

    async def update_activity(self, context: TurnContext, activity: Activity) -> Any:
        async def update() -> Any:
            return await CloudAdapter.update_activity(self, context, activity)

        return await self._with_retries(context, update, OutboxKind.TEAMS_UPDATE, activity)

    def create_claims_identity(self, agent_app_id: str = "") -> ClaimsIdentity:
        """Claims for a proactive turn; without an app id, anonymous ones."""
        if not agent_app_id:
            return ClaimsIdentity({}, authentication_type="anonymous")
        return super().create_claims_identity(agent_app_id)


async def _on_turn_error(context: TurnContext, error: Exception) -> None:
    """Logs the failure; tells the person, once, without the exception's text."""
    activity = context.activity
    log.error(
        "turn failed: activity type=%s id=%s: %r",
        activity.type,
        activity.id,
        error,
        exc_info=error,
    )
    if activity.type == ActivityTypes.message and not context.responded:
        # The file store failed (503, time-out, down): nothing was saved, the person tries again.
        key = "file_store.unavailable" if _store_failed(error) else "errors.generic"
        try:
            await context.send_activity(Texts.for_locale(activity.locale)(key))
        except Exception:
            log.warning("could not tell the user about the failed turn")


def _store_failed(error: BaseException | None) -> bool:
    """Tells whether the file store's failure caused the error (directly or underneath)."""
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, FileStoreUnavailable):
            return True
        error, seen = error.__cause__ or error.__context__, seen + 1
    return False


def _status(error: BaseException) -> str:
    if isinstance(error, aiohttp.ClientResponseError):
        return str(error.status)
    return type(error).__name__


def build_adapter(settings: Settings, http: HttpSession | None = None) -> KanalkollenAdapter:
    """Creates the adapter; its HTTP session closes with `adapter.http.close()`."""
    return KanalkollenAdapter(settings, http or HttpSession())
