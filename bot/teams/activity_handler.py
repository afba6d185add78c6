"""KanalkollenBot: the Teams edge. Thin: records the sender, routes, saves state once."""

from __future__ import annotations

import logging
from typing import Any

from microsoft_agents.activity import InvokeResponse
from microsoft_agents.hosting.core import ActivityHandler, TurnContext

from bot.teams.card_actions import MESSAGE_CONTENT_TYPE, ActionRouter
from bot.teams.commands import CommandRouter
from bot.teams.turn_recorder import CURRENT_TURN, PERSON_KEY, TurnRecorder, tenant_of
from cards.actions import parse_action
from cards.i18n import Texts
from cards.welcome import WelcomeView, welcome_card
from dialogs.answers import RuleAnswers
from dialogs.dialog_runner import DialogRunner
from dialogs.state import DialogStates
from dialogs.wiring import ActionContext, card_activity
from storage.bot_state import StateConflictError

log = logging.getLogger(__name__)

TURN_ATTEMPTS = 3


def _message_response(text: str) -> InvokeResponse:
    """An invoke answered with a short message (Teams shows it in place of the card)."""
    return InvokeResponse(
        status=200,
        body={"statusCode": 200, "type": MESSAGE_CONTENT_TYPE, "value": text},
    )


def _error_response(status: int, code: str, message: str) -> InvokeResponse:
    """An invoke refused the way Teams expects (`application/vnd.microsoft.error`)."""
    return InvokeResponse(
        status=status,
        body={
            "statusCode": status,
            "type": "application/vnd.microsoft.error",
            "value": {"code": code, "message": message},
        },
    )


class KanalkollenBot(ActivityHandler):  # type: ignore[misc]
    """Routes messages to commands and flows, card actions to the verb router."""

    def __init__(
        self,
        *,
        states: DialogStates,
        recorder: TurnRecorder,
        router: ActionRouter,
        runner: DialogRunner,
        commands: CommandRouter,
        answers: RuleAnswers | None = None,
    ) -> None:
        self._states = states
        self._recorder = recorder
        self._router = router
        self._runner = runner
        self._commands = commands
        self._answers = answers

    async def on_turn(self, turn_context: TurnContext) -> None:
        """Records who wrote from where, handles the activity, then saves state once."""
        CURRENT_TURN.set(turn_context)
        turn_context.turn_state[PERSON_KEY] = await self._recorder.record(turn_context)
        for attempt in range(1, TURN_ATTEMPTS + 1):
            try:
                await super().on_turn(turn_context)
                await self._states.save(turn_context)
                return
            except StateConflictError:
                # Another instance wrote this conversation's state meanwhile. Run the turn
                # again on the new state, unless the person was already told something.
                if turn_context.responded or attempt == TURN_ATTEMPTS:
                    raise
                log.info("state conflict in %s; running the turn again", self._states.name)
                self._states.forget(turn_context)

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        """Card submits go to the router; commands interrupt; otherwise the active flow."""
        activity = turn_context.activity
        texts = Texts.for_locale(activity.locale)
        action = parse_action(activity.value)
        if action is not None:
            await self._router.submit(self._action_context(turn_context, action, refresh=False))
            return
        if activity.entities:
            activity.remove_recipient_mention()
        text = activity.text or ""
        command = self._commands.find(text)
        if command is not None:
            person_id = turn_context.turn_state.get(PERSON_KEY)
            await self._commands.dispatch(turn_context, command, person_id, texts)
        elif not await self._runner.continue_active(turn_context):
            await self._answer(turn_context, text, texts)

    async def _answer(self, turn_context: TurnContext, text: str, texts: Texts) -> None:
        """A text that is no command and no dialog's answer: a question about the rules."""
        if self._answers is None:
            await turn_context.send_activity(texts("unknown.hint"))
            return
        # Issue 24: bounded, and off the event loop (nobody else waits for a long text).
        reply = await self._answers.answer(text, texts, tenant_id=tenant_of(turn_context.activity))
        if reply.card is None:
            await turn_context.send_activity(reply.text or "")
            return
        activity = card_activity(reply.card)
        activity.text = reply.text
        await turn_context.send_activity(activity)

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        """Answers Action.Execute (and card refresh); any other invoke gets a clear answer."""
        activity = turn_context.activity
        texts = Texts.for_locale(activity.locale)
        if activity.name != "adaptiveCard/action":
            log.info("unhandled invoke %r", (activity.name or "")[:64])
            return _message_response(texts("errors.unsupported_invoke"))
        value = activity.value if isinstance(activity.value, dict) else {}
        invoked = value.get("action")
        if not isinstance(invoked, dict):
            return _error_response(400, "BadRequest", "The invoke has no action.")
        if invoked.get("type") != "Action.Execute":
            kind = str(invoked.get("type"))[:64]
            return _error_response(400, "NotSupported", f"The action '{kind}' is not supported.")
        action = parse_action(value)
        if action is None:
            return _message_response(texts("errors.unknown_action"))
        refresh = value.get("trigger") == "automatic"
        body = await self._router.execute(
            self._action_context(turn_context, action, refresh=refresh)
        )
        return InvokeResponse(status=200, body=body)

    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        """Welcomes the person who installed the app."""
        await self._welcome_once(turn_context)

    async def on_members_added_activity(
        self, members_added: list[Any], turn_context: TurnContext
    ) -> None:
        """Welcomes when the bot itself is added to a chat (Teams also sends this on install)."""
        bot_id = turn_context.activity.recipient.id if turn_context.activity.recipient else None
        if any(member.id == bot_id for member in members_added or []):
            await self._welcome_once(turn_context)

    async def _welcome_once(self, turn_context: TurnContext) -> None:
        conversation = turn_context.activity.conversation
        if conversation is None or not await self._recorder.first_welcome(conversation.id):
            return
        sender = turn_context.activity.from_property
        first_name = (sender.name or "").split(" ")[0] if sender else ""
        texts = Texts.for_locale(turn_context.activity.locale)
        await turn_context.send_activity(
            card_activity(welcome_card(WelcomeView(first_name=first_name), texts))
        )

    def _action_context(
        self, turn_context: TurnContext, action: object, *, refresh: bool
    ) -> ActionContext:
        return ActionContext(
            turn_context=turn_context,
            action=action,  # type: ignore[arg-type]
            texts=Texts.for_locale(turn_context.activity.locale),
            person_id=turn_context.turn_state.get(PERSON_KEY),
            refresh=refresh,
        )
