"""Account created → registration (R8): the channel's address, then the registration notice."""

from __future__ import annotations

from typing import Any

from cards.actions import Scalar, execute_action
from cards.channel_common import Element, outcome, summary_facts, text_input, with_error
from cards.common import card, escape_md, heading, paragraph
from cards.i18n import Texts
from cards.verbs import Verb
from cards.views import RegistrationView
from domain.channel_request import ADDRESS_LIMIT


def registration_card(view: RegistrationView, texts: Texts) -> dict[str, Any]:
    """Builds the request for the account's address, or the confirmation once registered."""
    summary = view.summary
    body: list[Element] = [heading(texts("registration.title"))]
    if view.done:
        return card(
            [*body, summary_facts(summary, texts, people=False), outcome(view.done, "good")]
        )
    body += [
        paragraph(texts("registration.intro", name=escape_md(summary.name))),
        paragraph(
            texts("registration.step_create", platform=escape_md(summary.platform)),
            spacing="Small",
        ),
        # R6: the manager must be able to reach the login.
        paragraph(texts("registration.step_login"), spacing="Small"),
        # R8: the registration notice puts the channel in the city's public list.
        paragraph(texts("registration.step_address"), spacing="Small"),
        summary_facts(summary, texts, people=False),
    ]
    address = text_input(
        "address",
        texts("registration.address"),
        value=view.value,
        required=True,
        error_message=texts("registration.address_error"),
        max_length=ADDRESS_LIMIT,
        placeholder=view.hint or None,
        style="Url",
    )
    body += with_error(address, {"address": view.error} if view.error else {})
    ids: dict[str, Scalar] = {"channel_id": summary.channel_id, "version": view.version}
    register = execute_action(
        texts("registration.register"), Verb.CHANNEL_REGISTER, ids, style="positive"
    )
    return card(body, [register])
