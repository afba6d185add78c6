"""Proactive delivery to Teams: continue a stored conversation or create the 1:1 chat."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import aiohttp
from microsoft_agents.activity import (
    Activity,
    ChannelAccount,
    ConversationParameters,
    ConversationReference,
)
from microsoft_agents.hosting.core import ChannelServiceAdapter, TurnContext
from microsoft_agents.hosting.core.authorization import AuthenticationConstants
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.teams.turn_recorder import reference_of, tenant_of
from domain.clock import Clock
from domain.outbox import DeliveryFailure, OutboxKind, retry_after_seconds
from storage.models import ConversationReferenceRow, PersonRow
from storage.outbox import OutboxMessage
from storage.people import (
    SeenConversation,
    personal_conversation,
    tenant_endpoint,
    upsert_conversation,
)

log = logging.getLogger(__name__)


class DeliveryError(Exception):
    """A delivery attempt failed; `failure` says how, for the retry decision."""

    def __init__(
        self,
        failure: DeliveryFailure,
        *,
        stale_conversation: bool = False,
        unreachable: bool = False,
    ) -> None:
        super().__init__(failure.message or f"status {failure.status}")
        self.failure = failure
        self.stale_conversation = stale_conversation
        # Teams will never take this message to this person (no Teams id, chat refused).
        self.unreachable = unreachable


def failure_from(error: BaseException) -> DeliveryFailure:
    """Classifies an exception from the Bot Connector client (aiohttp raises its errors)."""
    if isinstance(error, aiohttp.ClientResponseError):
        headers = error.headers or {}
        return DeliveryFailure(
            status=error.status,
            retry_after_seconds=retry_after_seconds(headers.get("Retry-After")),
            message=f"Bot Connector answered {error.status}",
        )
    if isinstance(error, aiohttp.ClientError | asyncio.TimeoutError | ConnectionError):
        return DeliveryFailure(status=None, message=f"network error: {type(error).__name__}")
    return DeliveryFailure(status=None, message=f"{type(error).__name__}: {error}")


@dataclass(frozen=True)
class _Target:
    reference: ConversationReference | None
    person: PersonRow | None
    tenant_id: str | None
    service_url: str | None
    bot_id: str | None


class TeamsSender:
    """Sends or updates one outbox message in Teams."""

    def __init__(
        self,
        adapter: ChannelServiceAdapter,
        *,
        app_id: str,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        default_service_url: str,
    ) -> None:
        self._adapter = adapter
        self._app_id = app_id
        self._sessions = sessions
        self._clock = clock
        self._default_service_url = default_service_url

    async def deliver(self, message: OutboxMessage) -> dict[str, Any]:
        """Delivers the message; returns where it landed; raises DeliveryError."""
        target = await self._target(message)
        try:
            activity = Activity.model_validate(message.payload["activity"])
        except (ValidationError, KeyError, TypeError) as error:
            raise DeliveryError(
                DeliveryFailure(status=400, message="the queued activity is not valid")
            ) from error
        outcome: dict[str, Any] = {}
        errors: list[BaseException] = []

        async def callback(turn_context: TurnContext) -> None:
            # The SDK gives the continuation a random id and would send our message as a
            # reply to it; a proactive message is a new message in the chat.
            turn_context.activity.id = None
            try:
                if message.kind is OutboxKind.TEAMS_UPDATE:
                    activity.id = message.payload["activity_id"]
                    await turn_context.update_activity(activity)
                    outcome["activity_id"] = activity.id
                else:
                    response = await turn_context.send_activity(activity)
                    outcome["activity_id"] = response.id if response else None
                outcome["conversation_id"] = turn_context.activity.conversation.id
                outcome["_activity"] = turn_context.activity
            except Exception as error:
                errors.append(error)

        try:
            if target.reference is not None:
                await self._adapter.continue_conversation(
                    self._app_id, target.reference.get_continuation_activity(), callback
                )
            else:
                await self._create_and_send(target, callback)
        except DeliveryError:
            raise
        except Exception as error:
            errors.append(error)
        if errors:
            failure = failure_from(errors[0])
            creating = target.reference is None and target.person is not None
            raise DeliveryError(
                failure,
                stale_conversation=failure.status == 404
                and target.person is not None
                and target.reference is not None,
                # 400 on creating the 1:1 chat (BadArgument): Teams will not open it, ever.
                unreachable=creating and failure.status == 400,
            ) from errors[0]
        created = outcome.pop("_activity")
        if target.reference is None and target.person is not None:
            await self._remember(created, target)
        return outcome

    async def _target(self, message: OutboxMessage) -> _Target:
        async with self._sessions() as session:
            person = (
                await session.get(PersonRow, message.recipient_person_id)
                if message.recipient_person_id is not None
                else None
            )
            row: ConversationReferenceRow | None = None
            if message.conversation_id is not None:
                row = await session.scalar(
                    select(ConversationReferenceRow).where(
                        ConversationReferenceRow.conversation_id == message.conversation_id
                    )
                )
                if row is None:
                    raise DeliveryError(
                        DeliveryFailure(
                            status=404, message="no stored reference for that conversation"
                        )
                    )
            elif person is not None:
                row = await personal_conversation(session, person.id)
            else:
                raise DeliveryError(DeliveryFailure(status=400, message="no recipient"))
            tenant_id = message.tenant_id or (person.tenant_id if person else None)
            service_url = bot_id = None
            if row is None and tenant_id:
                service_url, bot_id = await tenant_endpoint(session, tenant_id)
        reference = ConversationReference.model_validate(row.reference) if row else None
        return _Target(
            reference, person, tenant_id, service_url or self._default_service_url, bot_id
        )

    async def _create_and_send(self, target: _Target, callback: Any) -> None:
        """Opens the 1:1 chat with a person who never wrote to the bot (tenant + AAD id)."""
        person = target.person
        if (
            person is None
            or not target.tenant_id
            or not (person.teams_user_id or person.aad_object_id)
        ):
            # Known only by the e-mail address an import gave: no Teams id until they write.
            raise DeliveryError(
                DeliveryFailure(status=400, message="the person has no Teams id"),
                unreachable=person is not None,
            )
        # The id Teams itself uses for the bot in this tenant's chats, else the app's own.
        bot_id = target.bot_id or (f"28:{self._app_id}" if self._app_id else "28:kanalkollen")
        parameters = ConversationParameters(
            is_group=False,
            agent=ChannelAccount(id=bot_id),
            members=[ChannelAccount(id=person.teams_user_id or person.aad_object_id)],
            tenant_id=target.tenant_id,
            channel_data={"tenant": {"id": target.tenant_id}},
        )
        await self._adapter.create_conversation(
            self._app_id,
            "msteams",
            target.service_url,
            AuthenticationConstants.AGENTS_SDK_SCOPE,
            parameters,
            callback,
        )

    async def _remember(self, activity: Activity, target: _Target) -> None:
        """Stores the newly created chat so later messages continue it."""
        assert target.person is not None
        activity.conversation.conversation_type = "personal"
        activity.from_property = ChannelAccount(
            id=target.person.teams_user_id or target.person.aad_object_id,
            aad_object_id=target.person.aad_object_id,
        )
        reference = reference_of(activity, target.tenant_id)
        async with self._sessions.begin() as session:
            await upsert_conversation(
                session,
                SeenConversation(
                    conversation_id=activity.conversation.id,
                    conversation_type="personal",
                    tenant_id=target.tenant_id or tenant_of(activity),
                    service_url=activity.service_url,
                    channel_id=activity.channel_id or "msteams",
                    reference=reference,
                ),
                target.person.id,
                self._clock.now(),
            )
