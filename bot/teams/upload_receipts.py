"""A durable receipt for files acknowledged to Teams before they are kept.

A message with files is answered 200 before its files are downloaded
(bot/teams/messages_endpoint.py). Should the process stop before the turn ends (kill -9, a
deploy), Teams will not send the message again, so the receipt is written first: an outbox
message to the chat, due a while later, saying which files did not arrive and asking for them
again. The turn cancels it when it ends; after a crash any instance delivers it once it is due,
and a shutdown that cancels the turn makes it due at once. Only file names are kept, never the
download links (they carry credentials).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from microsoft_agents.activity import Activity
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.teams.turn_recorder import DefaultLanguage, answer_locale, client_language, tenant_of
from bot.teams.uploads import file_names
from cards.i18n import Texts
from domain.clock import Clock
from domain.outbox import OutboxKind, OutboxStatus
from storage.models import OutboxRow, PersonRow
from storage.outbox import enqueue

log = logging.getLogger(__name__)

# Long enough for the turn to wait behind the chat's earlier turns and download everything.
RECEIPT_GRACE = timedelta(minutes=10)
_NAMES_SHOWN = 10


class UploadReceipts:
    """Writes, cancels and hastens the receipts of acknowledged file messages."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        default_language: DefaultLanguage = client_language,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._default_language = default_language

    async def open(self, activity: Activity) -> int | None:
        """Queues the receipt (due after the grace); returns its outbox id, None if it failed."""
        conversation = activity.conversation
        names = file_names(activity.attachments)
        if conversation is None or not names:
            return None
        shown = ", ".join(names[:_NAMES_SHOWN]) + (" …" if len(names) > _NAMES_SHOWN else "")
        now = self._clock.now()
        tenant_id = tenant_of(activity)
        try:
            async with self._sessions.begin() as session:
                texts = Texts.for_locale(await self._locale(session, activity, tenant_id))
                row = enqueue(
                    session,
                    kind=OutboxKind.TEAMS_MESSAGE,
                    payload={
                        "activity": {
                            "type": "message",
                            "text": texts("uploads.interrupted", names=shown),
                        }
                    },
                    now=now,
                    due_at=now + RECEIPT_GRACE,
                    tenant_id=tenant_id,
                    conversation_id=conversation.id,
                )
                await session.flush()
                return row.id
        except Exception:
            # The turn still runs; only a crash in the next minutes would go unexplained.
            log.exception("could not write the receipt of a message with files")
            return None

    async def close(self, receipt: int | None) -> None:
        """The turn ended (its replies say what arrived): the receipt is not needed."""
        await self._set(receipt, OutboxStatus.CANCELLED, None)

    async def hasten(self, receipt: int | None) -> None:
        """The turn was cut off at shutdown: the receipt goes as soon as delivery runs."""
        await self._set(receipt, OutboxStatus.PENDING, self._clock.now())

    async def _set(self, receipt: int | None, status: OutboxStatus, due: object) -> None:
        if receipt is None:
            return
        values: dict[str, object] = {"status": status.value}
        if due is not None:
            values["due_at"] = due
        try:
            async with self._sessions.begin() as session:
                await session.execute(
                    update(OutboxRow)
                    .where(OutboxRow.id == receipt)
                    .where(OutboxRow.status == OutboxStatus.PENDING.value)
                    .values(**values)
                )
        except Exception:
            log.exception("could not update the receipt %s of a message with files", receipt)

    async def _locale(
        self, session: AsyncSession, activity: Activity, tenant_id: str | None
    ) -> str | None:
        """The language the bot answers this person in (see TurnRecorder.record)."""
        sender = activity.from_property
        if sender is not None and sender.aad_object_id and tenant_id:
            chosen = await session.scalar(
                select(PersonRow.locale)
                .where(PersonRow.tenant_id == tenant_id)
                .where(PersonRow.aad_object_id == sender.aad_object_id)
            )
            if chosen:  # the locale the bot last answered this person in
                return chosen
        return answer_locale(None, self._default_language(tenant_id), activity.locale)
