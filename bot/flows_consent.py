"""Consent before publishing (R9, R10): the consent check, the consent register, post addresses."""

from __future__ import annotations

from bot.teams.card_actions import ActionContext, ActionResult
from bot.wiring import Flows, Wiring
from cards.verbs import Verb
from dialogs.consent import DIALOG_ID, ConsentFlow, ConsentFormsDialog
from dialogs.dialog_runner import DialogRunner
from dialogs.services import FlowServices


def build(services: FlowServices, runner: DialogRunner, wiring: Wiring) -> Flows:
    """The verbs, commands and sweeps of this flow."""
    consent = ConsentFlow(services)
    runner.add(DIALOG_ID, ConsentFormsDialog(services))

    async def check(ctx: ActionContext) -> ActionResult:
        """R9, R10: decides at once, or first takes the signed forms in the chat."""
        actor = await wiring.actor_of(ctx)
        if actor is None:
            return ActionResult(message=ctx.texts("errors.not_allowed"))
        card, pending = await consent.check(actor, dict(ctx.action.data))
        if pending is not None:
            await runner.begin(ctx.turn_context, DIALOG_ID, pending)
        return ActionResult(card=card)

    return Flows(
        verbs={
            Verb.CONSENT_CHECK: check,
            Verb.CONSENT_ADD_PERSON: wiring.acting(consent.add_person),
            Verb.CONSENT_POST: wiring.acting(consent.post),
        },
        commands={
            "consent": wiring.command(lambda _turn, actor: consent.form(actor)),
            "consents": wiring.command(lambda _turn, actor: consent.register(actor)),
        },
        sweeps={"consent_post_reminders": consent.remind_posts},
    )
