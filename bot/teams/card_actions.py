"""The card-action router: a table from verb to handler, for Action.Execute and Submit alike."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from cards.common import ADAPTIVE_CARD_CONTENT_TYPE
from dialogs.guard import Card, Message
from dialogs.wiring import ActionContext, ActionResult, Flows, card_activity
from storage.files import FileStoreUnavailable

log = logging.getLogger(__name__)


MESSAGE_CONTENT_TYPE = "application/vnd.microsoft.activity.message"


class ActionRouter:
    """Looks the verb's declaration up and runs it through the guard; unknown verbs get a
    polite answer, refusals the same sentence whatever the reason."""

    def __init__(self, flows: Flows) -> None:
        assert flows.guard is not None, "build_flows sets the guard"
        self._declarations = dict(flows.verbs)
        self._guard = flows.guard

    async def dispatch(self, context: ActionContext) -> ActionResult:
        """Runs the declared verb for the person who clicked."""
        declaration = self._declarations.get(context.action.verb) if context.action.verb else None
        if declaration is None:
            log.info("unknown card verb %r", context.action.raw_verb[:64])
            return ActionResult(message=context.texts("errors.unknown_action"))
        try:
            outcome = await self._guard.verb(
                declaration,
                context.turn_context,
                context.action.data,
                context.person_id,
                context.texts,
            )
        except FileStoreUnavailable:
            # The file store failed (503, time-out, down): the click's unit of work was rolled
            # back, nothing half-stored is recorded; the person presses the button again.
            log.warning("card verb %s: the file store failed", declaration.verb.value)
            return ActionResult(message=context.texts("file_store.unavailable"))
        if isinstance(outcome, Card):
            return ActionResult(card=outcome.content)
        if isinstance(outcome, Message):
            return ActionResult(message=outcome.text)
        return ActionResult(message=context.texts("errors.not_allowed"))

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
