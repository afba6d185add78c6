"""Teams renders card text as Markdown: what a person typed is shown literally, never as a link.

Every card builder gets views whose user-supplied fields (names, purpose, plan sections,
comments, addresses, file names, people) all hold a Markdown link and bold text; no text the
card shows (TextBlock, FactSet title and value) may hold them unescaped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest

from cards.admin import AdminChannelLine, admin_overview_card
from cards.approval import approval_card
from cards.capture import capture_card
from cards.common import escape_md, unescape_md
from cards.comms import comms_summary_card
from cards.consent import (
    ConsentOutcomeView,
    ConsentRegisterView,
    RegisterLine,
    consent_outcome_card,
    consent_register_card,
)
from cards.documentation import (
    DocumentationEscalationView,
    documentation_escalation_card,
    documentation_reminder_card,
)
from cards.editor_changes import EditorLine, editors_card, replace_card
from cards.editors import editor_invite_card, nominate_card
from cards.i18n import Texts
from cards.my_channels import my_channels_card
from cards.plain import plain_message
from cards.records import closing_card, deletion_outcome_card
from cards.registration import registration_card
from cards.request_form import request_form_card
from cards.request_status import request_status_card
from cards.views import (
    ChannelSummary,
    Decision,
    EditorInviteView,
    MyChannelRow,
    MyChannelsView,
    NominateView,
    PlanSection,
    RegistrationView,
    RequestStatusView,
)
from cards.welcome import WelcomeView, welcome_card
from cards.withdrawal import RemovalEscalationView, removal_escalation_card, removal_task_card
from tests.cards import (
    samples,
    samples_capture,
    samples_editors,
    samples_records,
    samples_withdrawal,
)

EVIL = "[klicka här](https://evil.example/login) **brådskande** _nu_\n- punkt\n1. ett"
RAW = ("[klicka här](", "**brådskande**", "_nu_", "\n- punkt", "\n1. ett")
TEXTS = Texts("sv")
CARD = "application/vnd.microsoft.card.adaptive"


def _summary() -> ChannelSummary:
    return ChannelSummary(
        channel_id=7,
        name=EVIL,
        platform=EVIL,
        unit=EVIL,
        purpose=EVIL,
        requester=EVIL,
        manager=EVIL,
        editors=(EVIL, EVIL),
        status="Väntar på chefens beslut",
        address=EVIL,
    )


_DECISION = Decision(label="Godkänd", by=EVIL, at="3 mars 2026 10:00", comment=EVIL)
_SECTIONS = (PlanSection("Syfte", EVIL), PlanSection("Målgrupp", EVIL))

BUILDERS: dict[str, Callable[[], dict[str, Any]]] = {
    "approval": lambda: approval_card(
        replace(
            samples._approval_view(TEXTS),
            summary=_summary(),
            sections=_SECTIONS,
            login_reference=EVIL,
            decision=_DECISION,
        ),
        TEXTS,
    ),
    "request_status": lambda: request_status_card(
        RequestStatusView(summary=_summary(), version=1, steps=(), decision=_DECISION), TEXTS
    ),
    "comms": lambda: comms_summary_card(
        replace(samples._comms_view(TEXTS), summary=_summary(), sections=_SECTIONS), TEXTS
    ),
    "editor_invite": lambda: editor_invite_card(
        EditorInviteView(summary=_summary(), editor_id=3, invited_by=EVIL), TEXTS
    ),
    "nominate": lambda: nominate_card(NominateView(summary=_summary(), declined=EVIL), TEXTS),
    "registration": lambda: registration_card(
        RegistrationView(summary=_summary(), version=1), TEXTS
    ),
    "my_channels": lambda: my_channels_card(
        MyChannelsView(
            rows=(MyChannelRow(name=EVIL, platform=EVIL, unit=EVIL, role="Chef", status="Aktiv"),),
            closed=(EVIL,),
        ),
        TEXTS,
    ),
    "request_form": lambda: request_form_card(
        replace(samples._form_resubmit_view(TEXTS), manager_comment=EVIL, manager_name=EVIL),
        TEXTS,
    ),
    "documentation_reminder": lambda: documentation_reminder_card(
        replace(samples._doc_view(), name=EVIL, platform=EVIL), TEXTS
    ),
    "documentation_reminder_overdue": lambda: documentation_reminder_card(
        replace(samples._doc_view(), name=EVIL, overdue_days=3), TEXTS
    ),
    "documentation_escalation": lambda: documentation_escalation_card(
        DocumentationEscalationView(
            name=EVIL,
            platform=EVIL,
            unit=EVIL,
            editors=(EVIL,),
            due="17 mars 2026",
            overdue_days=14,
        ),
        TEXTS,
    ),
    "editors": lambda: editors_card(
        replace(
            samples_editors._VIEW,
            channel=EVIL,
            manager=EVIL,
            editors=(EditorLine(1, EVIL, "accepted"),),
        ),
        TEXTS,
    ),
    "replace": lambda: replace_card(
        replace(samples_editors._REPLACE, channel=EVIL, editor=EVIL), TEXTS
    ),
    "deletion_outcome": lambda: deletion_outcome_card(
        replace(samples_records._OUTCOME, channel=EVIL, description=EVIL), TEXTS
    ),
    "closing": lambda: closing_card(
        replace(
            samples_records._CLOSING,
            channel=EVIL,
            platform=EVIL,
            address=EVIL,
            export=EVIL,
            screenshots=(EVIL,),
        ),
        TEXTS,
    ),
    "consent_outcome": lambda: consent_outcome_card(
        ConsentOutcomeView(
            check_id=1, channel_name=EVIL, publish=True, covered=(EVIL,), post_address=EVIL
        ),
        TEXTS,
    ),
    "consent_register": lambda: consent_register_card(
        ConsentRegisterView(lines=(RegisterLine(EVIL, EVIL, (("Vem", EVIL),)),)), TEXTS
    ),
    "capture": lambda: capture_card(
        replace(samples_capture._VIEW, address=EVIL, start_page=False), TEXTS
    ),
    "admin_overview": lambda: admin_overview_card(
        replace(
            samples._admin_view(TEXTS),
            overdue=(AdminChannelLine(EVIL, EVIL, "försenad"),),
        ),
        TEXTS,
    ),
    "welcome": lambda: welcome_card(WelcomeView(first_name=EVIL), TEXTS),
    "removal_task": lambda: removal_task_card(
        replace(samples_withdrawal._TASK, channel=EVIL, subject=EVIL, post_address=EVIL), TEXTS
    ),
    "removal_escalation": lambda: removal_escalation_card(
        RemovalEscalationView(channel=EVIL, post_address=EVIL, days=3, editors=(EVIL,)), TEXTS
    ),
}


def shown_texts(element: Any) -> Iterator[str]:
    """Every text a card shows through Markdown: TextBlocks and FactSets."""
    if isinstance(element, dict):
        if element.get("type") == "TextBlock":
            yield str(element.get("text", ""))
        if element.get("type") == "FactSet":
            for fact in element.get("facts", []):
                yield str(fact.get("title", ""))
                yield str(fact.get("value", ""))
        for value in element.values():
            yield from shown_texts(value)
    elif isinstance(element, list):
        for item in element:
            yield from shown_texts(item)


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_user_text_on_a_card_is_shown_literally(name: str) -> None:
    texts = list(shown_texts(BUILDERS[name]()))

    leaks = [text for text in texts if any(raw in text for raw in RAW)]
    assert leaks == []
    assert any(escape_md(EVIL) in text or "\\[klicka här\\]" in text for text in texts)


def test_the_escape_covers_what_teams_renders() -> None:
    assert escape_md("[x](https://evil)") == "\\[x\\](https://evil)"
    assert escape_md("**fet** _kursiv_ ~~struken~~ `kod`") == (
        "\\*\\*fet\\*\\* \\_kursiv\\_ \\~\\~struken\\~\\~ \\`kod\\`"
    )
    assert escape_md("- punkt\n+ punkt\n  * punkt\n12. tolv\n3) tre") == (
        "\\- punkt\n\\+ punkt\n  \\* punkt\n12\\. tolv\n3\\) tre"
    )
    assert escape_md("Fritidsgården Åsen (Norr), 2026-03-02") == (
        "Fritidsgården Åsen (Norr), 2026-03-02"
    )
    assert escape_md(None) == ""


@pytest.mark.parametrize("typed", [EVIL, "a\\.b \\\\ c", "- x", "x_y*z", ""])
def test_the_plain_text_mail_shows_what_was_typed(typed: str) -> None:
    assert unescape_md(escape_md(typed)) == typed
    card = welcome_card(WelcomeView(first_name=typed or "x"), TEXTS)
    activity = {"type": "message", "attachments": [{"contentType": CARD, "content": card}]}
    assert (typed or "x") in plain_message(activity).title
