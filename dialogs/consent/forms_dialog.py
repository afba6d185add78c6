"""Takes the signed consent form of each written consent to upload, then decides (R10)."""

from __future__ import annotations

from microsoft_agents.activity import Attachment
from microsoft_agents.hosting.core import MessageFactory
from microsoft_agents.hosting.dialogs import (
    ComponentDialog,
    DialogTurnResult,
    WaterfallDialog,
    WaterfallStepContext,
)

from cards.common import ADAPTIVE_CARD_CONTENT_TYPE
from cards.i18n import Texts
from dialogs.actor import load_actor
from dialogs.collect import CollectFiles
from dialogs.consent.check import ConsentFlow
from dialogs.services import FlowServices

DIALOG_ID = "consent.forms"
FILES_ID = "consent.forms.files"


class ConsentFormsDialog(ComponentDialog):
    """Takes the signed consent form of each written consent to upload, then decides (R10)."""

    def __init__(self, services: FlowServices) -> None:
        super().__init__(DIALOG_ID)
        self._s = services
        self._flow = ConsentFlow(services)
        self.add_dialog(CollectFiles(services, FILES_ID))
        self.add_dialog(WaterfallDialog(f"{DIALOG_ID}.steps", [self._ask, self._keep]))
        self.initial_dialog_id = f"{DIALOG_ID}.steps"

    async def _ask(self, step: WaterfallStepContext) -> DialogTurnResult:
        state = dict(step.options or {})  # type: ignore[call-overload]
        step.values["state"] = state
        index = state["pending"][0]
        texts = Texts.for_locale(step.context.activity.locale)
        name = state["submission"]["rows"][index]["name"]
        await step.context.send_activity(texts("consent.ask_form", name=name))
        return await step.begin_dialog(
            FILES_ID, {"ask": "consent.ask_form_how", "single": True, "reference": True}
        )

    async def _keep(self, step: WaterfallStepContext) -> DialogTurnResult:
        state = step.values["state"]
        index = state["pending"].pop(0)
        result = step.result or {}
        if result.get("files"):
            state["uploads"][str(index)] = result["files"][0]
        elif result.get("reference"):
            state["submission"]["rows"][index]["filed"] = result["reference"]
        if state["pending"]:
            return await step.replace_dialog(f"{DIALOG_ID}.steps", state)
        texts = Texts.for_locale(step.context.activity.locale)
        async with self._s.sessions() as session:
            actor = await load_actor(
                session, state.get("person_id"), texts, organisations=self._s.organisations
            )
        if actor is None:
            await step.context.send_activity(texts("errors.not_allowed"))
            return await step.end_dialog()
        content = await self._flow.finish(actor, state["submission"], state["uploads"])
        await step.context.send_activity(
            MessageFactory.attachment(
                Attachment(content_type=ADAPTIVE_CARD_CONTENT_TYPE, content=content)
            )
        )
        return await step.end_dialog()
