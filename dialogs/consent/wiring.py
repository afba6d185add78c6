"""The verbs, commands and sweep of consent before publishing (R9, R10)."""

from __future__ import annotations

from typing import Any

from cards.verbs import Verb
from dialogs.consent.check import ConsentFlow
from dialogs.consent.forms_dialog import DIALOG_ID, ConsentFormsDialog
from dialogs.consent.posts import ConsentPosts
from dialogs.consent.register import ConsentRegister
from dialogs.guard import Request
from dialogs.permissions import NOBODY, Permit, Role
from dialogs.verb_data import ConsentCheckData, ConsentPostData
from dialogs.wiring import Flows, Wiring, acting


def build(wiring: Wiring) -> Flows:
    """The verbs, commands and sweeps of this flow."""
    services, runner = wiring.services, wiring.runner
    consent = ConsentFlow(services)
    posts = ConsentPosts(services)
    register = ConsentRegister(services)
    runner.add(DIALOG_ID, ConsentFormsDialog(services))

    async def check(request: Request[ConsentCheckData]) -> dict[str, Any]:
        """R9, R10: decides at once, or first takes the signed forms in the chat."""
        card, pending = await consent.check(request.actor, request.data)
        if pending is not None:
            request.then(lambda: runner.begin(request.turn_context, DIALOG_ID, pending))
        return card

    # R9, R10: the channel's editors check consent for its posts; anyone may open the form
    # (it lists only the active channels they edit).
    form = Permit(
        may=Role.EDITOR,
        may_new=Role.EMPLOYEE,
        sees=Role.EDITOR,
        rules="R9, R10",
        summary="the consent check before publishing",
    )
    anyone = Permit(
        may=NOBODY, may_new=Role.EMPLOYEE, rules="R9, R10", summary="the consent check form"
    )
    register_permit = Permit(
        may=NOBODY,
        may_new=Role.EMPLOYEE,
        rules="R9, R10",
        summary="the consent register of one's own channels",
    )
    return Flows(
        verbs={
            **wiring.verb(Verb.CONSENT_CHECK, ConsentCheckData, form, check),
            **wiring.verb(
                Verb.CONSENT_ADD_PERSON, ConsentCheckData, form, acting(consent.add_person)
            ),
            **wiring.verb(
                Verb.CONSENT_POST,
                ConsentPostData,
                Permit(
                    may=Role.EDITOR,
                    rules="R10",
                    summary="the address of the post a consent is used in",
                ),
                acting(posts.post),
            ),
        },
        commands={
            **wiring.command("consent", anyone, lambda _turn, actor: consent.form(actor)),
            **wiring.command(
                "consents", register_permit, lambda _turn, actor: register.register(actor)
            ),
        },
        sweeps={"consent_post_reminders": posts.remind_posts},
    )
