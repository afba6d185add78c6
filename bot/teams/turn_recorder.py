"""Keeps people and their conversation references fresh on every activity."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Any

from microsoft_agents.activity import Activity
from microsoft_agents.activity.teams import TeamsChannelAccount
from microsoft_agents.hosting.core import TurnContext
from microsoft_agents.hosting.core.connector import ConnectorClientBase
from microsoft_agents.hosting.core.connector.teams import TeamsConnectorClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.clock import Clock
from storage.audit import record_event
from storage.models import PersonRow
from storage.once import first_time
from storage.people import (
    SeenConversation,
    SeenPerson,
    link_by_email,
    upsert_conversation,
    upsert_person,
)

# Where a turn keeps the id of the person who wrote (TurnRecorder.record).
PERSON_KEY = "kanalkollen.person_id"

log = logging.getLogger(__name__)

# The turn being handled, for lookups deep in a flow that need the turn's connector.
CURRENT_TURN: ContextVar[TurnContext | None] = ContextVar("kanalkollen_turn", default=None)

LOCALE_OF = {"sv": "sv-SE", "en": "en-US"}


# The language the bot answers a tenant's people in when they chose none ("" = the client's):
# their organisation's `language.default` (issue 15), else the deployment's.
DefaultLanguage = Callable[[str | None], str]


def client_language(_tenant_id: str | None) -> str:
    """No default: the language of the person's Teams client."""
    return ""


def answer_locale(chosen: str | None, default_language: str, client: str | None) -> str | None:
    """The locale the bot answers in: the person's choice, else the policy's, else the client's."""
    language = chosen or default_language
    return LOCALE_OF.get(language, client) if language else client


# A repeat turn with unchanged facts refreshes the stored reference at most this often.
REFRESH_AFTER = timedelta(minutes=10)
RECENT_LIMIT = 10_000


def tenant_of(activity: Activity) -> str | None:
    """Returns the tenant id Teams sends in channelData, else conversation.tenantId."""
    data = activity.channel_data
    if isinstance(data, dict):
        tenant = data.get("tenant")
        if isinstance(tenant, dict) and isinstance(tenant.get("id"), str):
            return str(tenant["id"])
    conversation = activity.conversation
    return getattr(conversation, "tenant_id", None) if conversation else None


def reference_of(activity: Activity, tenant_id: str | None) -> dict[str, Any]:
    """The activity's conversation reference as stored (Bot Framework JSON, camelCase)."""
    reference = activity.get_conversation_reference()
    # Proactive messages start a new message rather than reply to the last one the user sent.
    reference.activity_id = None
    if reference.conversation is not None and tenant_id:
        reference.conversation.tenant_id = tenant_id
    serialized: dict[str, Any] = reference.model_dump(
        mode="json", by_alias=True, exclude_none=True
    )
    return serialized


async def member_of(turn_context: TurnContext, user_id: str | None) -> TeamsChannelAccount | None:
    """One member of the turn's conversation, as Teams describes them (or None).

    Through the turn's own connector client, which carries the turn's token (none in local
    mode); the Teams package's API client would ask MSAL for a token of its own.
    """
    client = turn_context.services.get(ConnectorClientBase)
    conversation = turn_context.activity.conversation
    if not isinstance(client, TeamsConnectorClient) or conversation is None or not user_id:
        return None
    try:
        return await client.get_conversation_member(conversation.id, user_id)
    except Exception as error:
        log.info("could not look the member up: %s", type(error).__name__)
        return None


class TurnRecorder:
    """Writes what an activity tells about its sender and conversation, once per turn."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        refresh_after: timedelta = REFRESH_AFTER,
        default_language: DefaultLanguage = client_language,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._default_language = default_language
        self._refresh_after = refresh_after
        # What this process last wrote per (conversation, sender): a repeat turn within
        # `refresh_after` with the same facts needs no write. The database stays the truth;
        # this only saves a write transaction on the hot path.
        self._recent: OrderedDict[
            tuple[str, str], tuple[int | None, tuple[Any, ...], datetime, str | None]
        ]
        self._recent = OrderedDict()

    async def record(self, turn_context: TurnContext) -> int | None:
        """Upserts the sender and the conversation reference; returns the person's id.

        It also sets the activity's locale to the language the bot answers in: the person's
        choice ("svenska" / "english"), else the policy's default, else the client's.
        """
        activity = turn_context.activity
        sender = activity.from_property
        conversation = activity.conversation
        if conversation is None or not activity.service_url:
            return None
        tenant_id = tenant_of(activity)
        now = self._clock.now()
        key = (conversation.id, (sender.aad_object_id or sender.id or "") if sender else "")
        facts = (
            tenant_id,
            activity.service_url,
            conversation.conversation_type,
            sender.id if sender else None,
            sender.name if sender else None,
            activity.locale,
        )
        known = self._recent.get(key)
        if (
            known is not None
            and known[1] == facts
            and now - known[2] < self._refresh_after
            and activity.type != "installationUpdate"
        ):
            self._recent.move_to_end(key)
            activity.locale = known[3]
            return known[0]
        person_id, locale = await self._write(turn_context, tenant_id, now)
        self._recent[key] = (person_id, facts, now, locale)
        self._recent.move_to_end(key)
        while len(self._recent) > RECENT_LIMIT:
            self._recent.popitem(last=False)
        activity.locale = locale
        return person_id

    async def choose_language(
        self, turn_context: TurnContext, person_id: int | None, language: str
    ) -> None:
        """Remembers the language a person chose; this turn answers in it already."""
        locale = LOCALE_OF[language]
        if person_id is not None:
            async with self._sessions.begin() as session:
                person = await session.get(PersonRow, person_id)
                if person is not None:
                    person.language = language
                    person.locale = locale
                    person.updated_at = self._clock.now()
        activity = turn_context.activity
        sender = activity.from_property
        if activity.conversation is not None:
            key = (
                activity.conversation.id,
                (sender.aad_object_id or sender.id or "") if sender else "",
            )
            self._recent.pop(key, None)
        activity.locale = locale

    def _locale(self, chosen: str | None, client: str | None, tenant_id: str | None) -> str | None:
        return answer_locale(chosen, self._default_language(tenant_id), client)

    async def _write(
        self, turn_context: TurnContext, tenant_id: str | None, now: datetime
    ) -> tuple[int | None, str | None]:
        activity = turn_context.activity
        locale = self._locale(None, activity.locale, tenant_id)
        sender = activity.from_property
        conversation = activity.conversation
        assert conversation is not None
        email = name = None
        if sender is not None and sender.aad_object_id and tenant_id:
            email, name = await self._newcomer(turn_context, tenant_id, sender.aad_object_id)
        async with self._sessions.begin() as session:
            person_id = None
            if sender is not None and sender.aad_object_id and tenant_id:
                if email:
                    # Someone imported by e-mail talks to the bot for the first time.
                    await link_by_email(session, tenant_id, email, sender.aad_object_id, now)
                person = await upsert_person(
                    session,
                    SeenPerson(
                        tenant_id=tenant_id,
                        aad_object_id=sender.aad_object_id,
                        teams_user_id=sender.id,
                        # A chat opened without a message carries no name; Teams has it.
                        name=sender.name or name,
                        locale=activity.locale,
                    ),
                    now,
                )
                person_id = person.id
                locale = self._locale(person.language, activity.locale, tenant_id)
                # Proactive messages to this person use the language the bot answers in.
                person.locale = locale
            await upsert_conversation(
                session,
                SeenConversation(
                    conversation_id=conversation.id,
                    conversation_type=conversation.conversation_type,
                    tenant_id=tenant_id,
                    service_url=activity.service_url,
                    channel_id=activity.channel_id or "msteams",
                    reference=reference_of(activity, tenant_id),
                ),
                person_id,
                now,
            )
            if activity.type == "installationUpdate":
                record_event(
                    session,
                    at=now,
                    action=f"bot.installation.{activity.action or 'unknown'}",
                    subject_type="conversation",
                    subject_id=conversation.id,
                    actor=sender.aad_object_id if sender and sender.aad_object_id else "system",
                    actor_person_id=person_id,
                )
        return person_id, locale

    async def _newcomer(
        self, turn_context: TurnContext, tenant_id: str, aad_object_id: str
    ) -> tuple[str | None, str | None]:
        """The e-mail and name of a person the bot has never met, from Teams (one call, first
        contact)."""
        async with self._sessions() as session:
            known = await session.scalar(
                select(PersonRow.id)
                .where(PersonRow.tenant_id == tenant_id)
                .where(PersonRow.aad_object_id == aad_object_id)
            )
        if known is not None:
            return None, None
        member = await member_of(turn_context, turn_context.activity.from_property.id)
        if member is None:
            return None, None
        return member.email or member.user_principal_name, member.name or None

    async def first_welcome(self, conversation_id: str) -> bool:
        """Tells whether this turn is the one that welcomes a conversation (once, ever).

        Teams sends installationUpdate and conversationUpdate at the same moment on install;
        the database decides which of the two turns greets.
        """
        async with self._sessions.begin() as session:
            return await first_time(session, "welcome", conversation_id, self._clock.now())
