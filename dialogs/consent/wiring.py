"""The verbs, commands and sweep of consent before publishing (R9, R10)."""

from __future__ import annotations

from cards.verbs import Verb
from dialogs.consent.check import ConsentFlow
from dialogs.consent.forms_dialog import DIALOG_ID, ConsentFormsDialog
from dialogs.consent.posts import ConsentPosts
from dialogs.consent.register import ConsentRegister
from dialogs.wiring import ActionContext, ActionResult, Flows, Wiring


def build(wiring: Wiring) -> Flows:
    """The verbs, commands and sweeps of this flow."""
    services, runner = wiring.services, wiring.runner
    consent = ConsentFlow(services)
    posts = ConsentPosts(services)
    register = ConsentRegister(services)
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
            Verb.CONSENT_POST: wiring.acting(posts.post),
        },
        commands={
            "consent": wiring.command(lambda _turn, actor: consent.form(actor)),
            "consents": wiring.command(lambda _turn, actor: register.register(actor)),
        },
        sweeps={"consent_post_reminders": posts.remind_posts},
    )
