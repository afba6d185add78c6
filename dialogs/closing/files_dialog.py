"""Takes the platform's export (or where it is filed) and the final screenshots in the chat."""

from __future__ import annotations

from dataclasses import replace

from microsoft_agents.hosting.dialogs import (
    ComponentDialog,
    DialogTurnResult,
    WaterfallDialog,
    WaterfallStepContext,
)

from cards.i18n import Texts
from dialogs.actor import load_actor
from dialogs.closing.steps import ClosingFlow
from dialogs.collect import CollectFiles
from dialogs.services import FlowServices
from dialogs.wiring import card_activity

DIALOG_ID = "closing.files"
FILES_ID = "records.files"
ASKS = {
    "export": {"ask": "closing.ask_export", "single": True, "reference": True, "archives": True},
    "screenshot": {"ask": "closing.ask_screenshots"},
}


class ClosingFilesDialog(ComponentDialog):
    """Takes a closing's export or its screenshots, then posts the checklist again (R13)."""

    def __init__(self, services: FlowServices) -> None:
        super().__init__(DIALOG_ID)
        self._s = services
        self._closing = ClosingFlow(services)
        self.add_dialog(CollectFiles(services, FILES_ID))
        self.add_dialog(WaterfallDialog(f"{DIALOG_ID}.steps", [self._ask, self._keep]))
        self.initial_dialog_id = f"{DIALOG_ID}.steps"

    async def _ask(self, step: WaterfallStepContext) -> DialogTurnResult:
        options = dict(step.options or {})  # type: ignore[call-overload]
        step.values["options"] = options
        return await step.begin_dialog(FILES_ID, ASKS[options["purpose"]])

    async def _keep(self, step: WaterfallStepContext) -> DialogTurnResult:
        texts = Texts.for_locale(step.context.activity.locale)
        options = step.values["options"]
        async with self._s.sessions() as session:
            actor = await load_actor(
                session, options.get("person_id"), texts, organisations=self._s.organisations
            )
        if actor is None or options.get("purpose") not in ASKS:
            await step.context.send_activity(texts("errors.not_allowed"))
            return await step.end_dialog()
        closing_id = int(options["subject_id"])
        content = await self._closing.collected(
            actor, closing_id, options["purpose"], step.result or {}
        )
        sent = await step.context.send_activity(card_activity(content))
        conversation = step.context.activity.conversation
        actor = replace(actor, conversation_id=conversation.id if conversation else None)
        await self._closing.posted(actor, closing_id, sent.id if sent else None)
        return await step.end_dialog()
