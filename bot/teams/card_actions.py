"""The card-action router: a table from verb to handler, for Action.Execute and Submit alike."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from microsoft_agents.activity import Activity, Attachment
from microsoft_agents.hosting.core import MessageFactory, TurnContext

from cards.actions import CardAction
from cards.common import ADAPTIVE_CARD_CONTENT_TYPE
from cards.i18n import Texts
from cards.verbs import Verb

log = logging.getLogger(__name__)


def card_activity(content: Mapping[str, Any]) -> Activity:
    """A message activity carrying one Adaptive Card."""
    return MessageFactory.attachment(
        Attachment(content_type=ADAPTIVE_CARD_CONTENT_TYPE, content=dict(content))
    )


MESSAGE_CONTENT_TYPE = "application/vnd.microsoft.activity.message"


@dataclass(frozen=True)
class ActionContext:
    """What a verb handler gets: the turn, the parsed action, the texts and the actor."""

    turn_context: TurnContext
    action: CardAction
    texts: Texts
    person_id: int | None
    refresh: bool


@dataclass(frozen=True)
class ActionResult:
    """A card that replaces the clicked one, or a short message."""

    card: dict[str, Any] | None = None
    message: str | None = None


VerbHandler = Callable[[ActionContext], Awaitable[ActionResult]]


class ActionRouter:
    """Looks the verb up in a table; unknown verbs get a polite answer."""

    def __init__(self, handlers: Mapping[Verb, VerbHandler]) -> None:
        self._handlers = dict(handlers)

    async def dispatch(self, context: ActionContext) -> ActionResult:
        """Runs the handler for the action's verb."""
        handler = self._handlers.get(context.action.verb) if context.action.verb else None
        if handler is None:
            log.info("unknown card verb %r", context.action.raw_verb[:64])
            return ActionResult(message=context.texts("errors.unknown_action"))
        return await handler(context)

    async def execute(self, context: ActionContext) -> dict[str, Any]:
        """Answers an Action.Execute invoke with a card or a message (the invoke's body)."""
        result = await self.dispatch(context)
        if result.card is not None:
            return {
                "statusCode": HTTPStatus.OK.value,
                "type": ADAPTIVE_CARD_CONTENT_TYPE,
                "value": result.card,
            }
        return {
            "statusCode": HTTPStatus.OK.value,
            "type": MESSAGE_CONTENT_TYPE,
            "value": result.message or "",
        }

    async def submit(self, context: ActionContext) -> None:
        """Answers an Action.Submit (clients without Universal Actions) the same way."""
        result = await self.dispatch(context)
        turn_context = context.turn_context
        if result.card is None:
            await turn_context.send_activity(result.message or "")
            return
        activity = card_activity(result.card)
        reply_to = turn_context.activity.reply_to_id
        if reply_to:
            # Replace the clicked card in place, as Action.Execute would.
            activity.id = reply_to
            try:
                await turn_context.update_activity(activity)
                return
            except Exception as error:
                log.info(
                    "could not update the clicked card (%s); sending it anew", type(error).__name__
                )
                activity.id = None
        await turn_context.send_activity(activity)
