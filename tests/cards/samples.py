"""A representative instance of every card the bot sends, in every language.

Adding a card builder to `cards/` means adding one line to `SAMPLE_CARDS`; the checks in
tests/cards (official schema, official renderer, Teams limits) then run on it, and
`test_every_card_builder_has_a_sample` fails until it is there. A builder whose variants show
different elements gets one line per variant. Views are synthetic and as long as real ones
get, so that the size check means something.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from cards.admin import AdminChannelLine, AdminOverviewView, admin_overview_card
from cards.approval import approval_card
from cards.common import note_card
from cards.comms import comms_summary_card
from cards.documentation import (
    DocumentationEscalationView,
    DocumentationReminderView,
    documentation_escalation_card,
    documentation_reminder_card,
)
from cards.editors import editor_invite_card, nominate_card
from cards.help import help_card
from cards.i18n import LANGUAGES, Texts
from cards.my_channels import my_channels_card
from cards.registration import registration_card
from cards.request_form import request_form_card
from cards.request_status import request_status_card
from cards.views import (
    ApprovalView,
    ChannelSummary,
    Choice,
    CommsSummaryView,
    Decision,
    EditorInviteView,
    MyChannelRow,
    MyChannelsView,
    NominateView,
    PlanSection,
    RegistrationView,
    RequestFormView,
    RequestStatusView,
    StatusStep,
)
from cards.welcome import WelcomeView, welcome_card
from domain.channel_request import PLAN_FIELDS, TEXT_LIMITS, Platform

CardBuilder = Callable[[Texts], dict[str, Any]]

SAMPLE_CARDS: list[tuple[str, CardBuilder]] = [
    ("welcome", lambda texts: welcome_card(WelcomeView(first_name="Signe-Marie"), texts)),
    ("welcome_without_name", lambda texts: welcome_card(WelcomeView(first_name=""), texts)),
    ("help", help_card),
    ("note", lambda texts: note_card(texts("flow.already_decided"))),
    ("documentation_reminder", lambda texts: documentation_reminder_card(_doc_view(), texts)),
    (
        "documentation_reminder_overdue",
        lambda texts: documentation_reminder_card(
            replace(_doc_view(), overdue_days=9, last_documented=None), texts
        ),
    ),
    (
        "documentation_reminder_done",
        lambda texts: documentation_reminder_card(
            replace(_doc_view(), done="Dokumenterad av Testperson Två den 3 mars 2026 10:00."),
            texts,
        ),
    ),
    (
        "documentation_escalation",
        lambda texts: documentation_escalation_card(
            DocumentationEscalationView(
                name="Fritidsgården Ugglan",
                platform="Instagram",
                unit="Fritid Norr",
                editors=("Testperson Två",),
                due="17 mars 2026",
                overdue_days=14,
            ),
            texts,
        ),
    ),
    ("admin_overview", lambda texts: admin_overview_card(_admin_view(texts), texts)),
    (
        "admin_overview_quiet",
        lambda texts: admin_overview_card(
            AdminOverviewView(
                counts=(),
                overdue=(),
                understaffed=(),
                csv_url="https://kanalkollen.example/registry.csv",
            ),
            texts,
        ),
    ),
    # Channel cards (flows 1–4, 10); their views are built at the end of this module.
    ("request_form", lambda texts: request_form_card(_form_view(texts), texts)),
    ("request_form_errors", lambda texts: request_form_card(_form_errors_view(texts), texts)),
    ("request_form_resubmit", lambda texts: request_form_card(_form_resubmit_view(texts), texts)),
    ("approval_actionable", lambda texts: approval_card(_approval_view(texts), texts)),
    ("approval_errors", lambda texts: approval_card(_approval_errors_view(texts), texts)),
    ("approval_status_only", lambda texts: approval_card(_approval_status_view(texts), texts)),
    ("approval_decided", lambda texts: approval_card(_approval_decided_view(texts), texts)),
    ("request_status", lambda texts: request_status_card(_status_view(texts), texts)),
    ("request_status_decided", lambda t: request_status_card(_status_decided_view(t), t)),
    ("editor_invite", lambda texts: editor_invite_card(_invite_view(texts), texts)),
    ("editor_invite_answered", lambda t: editor_invite_card(_invite_answered_view(t), t)),
    ("nominate", lambda texts: nominate_card(_nominate_view(texts), texts)),
    ("nominate_error", lambda texts: nominate_card(_nominate_view(texts, error=True), texts)),
    ("nominate_done", lambda texts: nominate_card(_nominate_view(texts, done=True), texts)),
    ("registration", lambda texts: registration_card(_registration_view(texts), texts)),
    ("registration_error", lambda t: registration_card(_registration_view(t, error=True), t)),
    ("registration_done", lambda t: registration_card(_registration_view(t, done=True), t)),
    ("my_channels", lambda texts: my_channels_card(_my_channels_view(texts), texts)),
    ("my_channels_empty", lambda texts: my_channels_card(MyChannelsView(rows=()), texts)),
    (
        "my_channels_with_closed",
        lambda texts: my_channels_card(
            replace(_my_channels_view(texts), closed=tuple(f"Kanal {i}" for i in range(20))),
            texts,
        ),
    ),
    ("comms_summary", lambda texts: comms_summary_card(_comms_view(texts), texts)),
    ("comms_summary_sent", lambda t: comms_summary_card(_comms_view(t, sent=True), t)),
    ("comms_summary_error", lambda t: comms_summary_card(_comms_view(t, error=True), t)),
]


@dataclass(frozen=True)
class SampleCard:
    """One sample card built in one language."""

    name: str
    language: str
    card: dict[str, Any]

    @property
    def id(self) -> str:
        """The sample's test id, e.g. "welcome-sv"."""
        return f"{self.name}-{self.language}"

    def __str__(self) -> str:
        return self.id


# Each later flow keeps its samples in its own module, named here.
SAMPLE_MODULES = (
    "tests.cards.samples_consent",
    "tests.cards.samples_withdrawal",
    "tests.cards.samples_records",
    "tests.cards.samples_editors",
    "tests.cards.samples_answers",
    "tests.cards.samples_capture",
)


def all_samples() -> list[tuple[str, CardBuilder]]:
    """The samples above and those of every module in SAMPLE_MODULES."""
    found = list(SAMPLE_CARDS)
    for name in SAMPLE_MODULES:
        found += importlib.import_module(name).SAMPLES
    return found


def sample_cards() -> list[SampleCard]:
    """Builds every sample card in every catalog language."""
    return [
        SampleCard(name, language, build(Texts(language)))
        for name, build in all_samples()
        for language in LANGUAGES
    ]


# --- channel card views (flows 1–4, 10): synthetic people, texts as long as the form allows ---

_SENTENCE = (
    "Vi berättar om veckans aktiviteter på fritidsgården, svarar på frågor från ungdomar och "
    "vårdnadshavare och visar vad som händer under loven. "
)
_PEOPLE = ("Testperson Ett", "Testperson Två", "Testperson Tre", "Testperson Fyra")
_AAD_IDS = (
    "00000000-0000-4000-8000-0000000000a1",
    "00000000-0000-4000-8000-0000000000a2",
)
_TEAMS_IDS = ("29:1sampleRequesterTeamsUserIdAbcdefghijklmnopq", "29:1sampleManagerTeamsUserId")
_STALE = "Kortet var inaktuellt. Här är den senaste versionen."
_PLAN_URL = "https://kanalkollen.example.se/files/plans/7.docx?expires=1767225600&sig=c2FtcGxl"


def _long(limit: int) -> str:
    """A text of exactly `limit` characters, the longest the form accepts."""
    return (_SENTENCE * (limit // len(_SENTENCE) + 1))[:limit]


def _summary(texts: Texts, status: str = "pending_approval", **overrides: Any) -> ChannelSummary:
    values: dict[str, Any] = {
        "channel_id": 7,
        "name": _long(TEXT_LIMITS["name"]),
        "platform": texts("platform.instagram"),
        "unit": _long(TEXT_LIMITS["unit"]),
        "purpose": _long(TEXT_LIMITS["purpose"]),
        "requester": _PEOPLE[0],
        "manager": _PEOPLE[1],
        "editors": (
            f"{_PEOPLE[0]} (har tackat ja)",
            f"{_PEOPLE[2]} (har inte svarat än)",
            f"{_PEOPLE[3]} (har tackat nej)",
        ),
        "status": texts(f"channel_status.{status}"),
        "plan_url": _PLAN_URL,
    }
    return ChannelSummary(**(values | overrides))


def _sections(texts: Texts) -> tuple[PlanSection, ...]:
    return tuple(
        PlanSection(texts(f"form.fields.{name}"), _long(TEXT_LIMITS[name])) for name in PLAN_FIELDS
    )


def _platforms(texts: Texts) -> tuple[Choice, ...]:
    return tuple(
        Choice(platform.value, texts(f"platform.{platform.value}")) for platform in Platform
    )


def _form_values() -> dict[str, str]:
    values = {name: _long(limit) for name, limit in TEXT_LIMITS.items()}
    values["login_reference"] = "Enhetens lösenordsvalv, posten Instagram Ugglan"
    return values | {
        "platform": "instagram",
        "evaluation_date": "2026-06-30",
        "editors": ",".join(_AAD_IDS),
        "manager": "00000000-0000-4000-8000-0000000000a3",
    }


def _form_view(texts: Texts) -> RequestFormView:
    return RequestFormView(
        platforms=_platforms(texts),
        manager_name=_PEOPLE[1],
        plan_template_url="https://intranet.example.se/mallar/plan-for-sociala-medier.docx",
    )


def _form_errors_view(texts: Texts) -> RequestFormView:
    errors = {
        name: texts("form.errors.too_long", limit=limit, length=limit + 1)
        for name, limit in TEXT_LIMITS.items()
    }
    errors |= {
        "platform": texts("form.errors.choose_platform"),
        "evaluation_date": texts("form.errors.date_not_in_future"),
        "editors": texts("form.errors.too_few_editors", minimum=2),
        "manager": texts("form.errors.manager_not_self"),
        "login_reference": texts("form.errors.looks_like_password"),
    }
    return RequestFormView(
        platforms=_platforms(texts),
        values=_form_values(),
        errors=errors,
        ask_manager=True,
        notice="Något behöver rättas. Titta på de röda raderna i formuläret.",
    )


def _form_resubmit_view(texts: Texts) -> RequestFormView:
    return RequestFormView(
        platforms=_platforms(texts),
        values=_form_values(),
        manager_name=_PEOPLE[1],
        channel_id=7,
        version=3,
        manager_comment=_long(2000),
        plan_template_url="https://intranet.example.se/mallar/plan-for-sociala-medier.docx",
    )


def _approval_view(texts: Texts) -> ApprovalView:
    return ApprovalView(
        summary=_summary(texts),
        version=3,
        sections=_sections(texts),
        login_reference=_long(TEXT_LIMITS["login_reference"]),
        actionable=True,
        refresh_user_ids=_TEAMS_IDS,
    )


def _approval_errors_view(texts: Texts) -> ApprovalView:
    return ApprovalView(
        summary=_summary(texts, plan_url=None),
        version=3,
        sections=_sections(texts),
        login_reference="Enhetens lösenordsvalv, posten Instagram Ugglan",
        actionable=True,
        errors={
            "comment": "Skriv en kommentar när du avslår eller begär ändringar.",
            "login_access": "Kryssa i att du har tillgång till inloggningen innan du godkänner.",
        },
        values={"comment": _long(2000), "login_access": "false"},
        notice=_STALE,
    )


def _approval_status_view(texts: Texts) -> ApprovalView:
    return ApprovalView(
        summary=_summary(texts),
        version=3,
        sections=_sections(texts),
        login_reference=_long(TEXT_LIMITS["login_reference"]),
        actionable=False,
        refresh_user_ids=_TEAMS_IDS,
    )


def _decision(texts: Texts) -> Decision:
    return Decision(
        label="Ändringar begärda",
        by=_PEOPLE[1],
        at="2025-03-14 09:30",
        comment=_long(2000),
    )


def _approval_decided_view(texts: Texts) -> ApprovalView:
    return ApprovalView(
        summary=_summary(texts, status="changes_requested"),
        version=4,
        sections=_sections(texts),
        login_reference=_long(TEXT_LIMITS["login_reference"]),
        actionable=True,
        refresh_user_ids=_TEAMS_IDS,
        decision=_decision(texts),
        notice="Kanalen är redan beslutad. Här ser du beslutet.",
    )


def _steps(done: int) -> tuple[StatusStep, ...]:
    labels = (
        "Ansökan är skickad",
        "Chefen har godkänt planen",
        "Redaktörerna har tackat ja (1 av 2)",
        "Kanalen är anmäld till stadens offentliga lista",
    )
    return tuple(StatusStep(label, i < done) for i, label in enumerate(labels))


def _status_view(texts: Texts) -> RequestStatusView:
    return RequestStatusView(
        summary=_summary(texts),
        version=3,
        steps=_steps(1),
        refresh_user_ids=_TEAMS_IDS[:1],
    )


def _status_decided_view(texts: Texts) -> RequestStatusView:
    return RequestStatusView(
        summary=_summary(
            texts, status="active", address="https://www.instagram.com/ugglans_fritidsgard/"
        ),
        version=6,
        steps=_steps(4),
        decision=_decision(texts),
        notice=_STALE,
    )


def _invite_view(texts: Texts) -> EditorInviteView:
    return EditorInviteView(
        summary=_summary(texts, status="approved"), editor_id=12, invited_by=_PEOPLE[0]
    )


def _invite_answered_view(texts: Texts) -> EditorInviteView:
    return EditorInviteView(
        summary=_summary(texts, status="approved"),
        editor_id=12,
        invited_by=_PEOPLE[0],
        answer="Du har tackat ja. Tack!",
    )


def _nominate_view(texts: Texts, *, error: bool = False, done: bool = False) -> NominateView:
    return NominateView(
        summary=_summary(texts, status="approved"),
        declined=_PEOPLE[3],
        error=texts("form.errors.too_few_editors", minimum=2) if error else None,
        done=f"Klart! Jag har frågat {_PEOPLE[2]}." if done else None,
    )


def _registration_view(
    texts: Texts, *, error: bool = False, done: bool = False
) -> RegistrationView:
    if done:
        address = "https://www.instagram.com/ugglans_fritidsgard/"
        return RegistrationView(
            summary=_summary(texts, status="active", address=address),
            version=6,
            done="Tack! Kanalen är anmäld till stadens offentliga lista och är nu aktiv.",
        )
    wrong_domain = texts("form.errors.wrong_platform_domain", domains="instagram.com")
    return RegistrationView(
        summary=_summary(texts, status="editors_ready"),
        version=5,
        value="https://www.facebook.com/ugglan" if error else "",
        error=wrong_domain if error else None,
        hint="https://www.instagram.com/...",
    )


def _my_channels_view(texts: Texts) -> MyChannelsView:
    roles = ("Har ansökt", "Redaktör", "Chef")
    statuses = ("active", "pending_approval", "editors_ready", "closing")
    rows = tuple(
        MyChannelRow(
            name=_long(TEXT_LIMITS["name"]),
            platform=texts(f"platform.{platform.value}"),
            unit=_long(TEXT_LIMITS["unit"]),
            role=roles[i % len(roles)],
            status=texts(f"channel_status.{statuses[i % len(statuses)]}"),
            next_due=None if i % 4 == 1 else "2025-09-30",
            overdue=i % 4 == 0,
        )
        for i, platform in enumerate(list(Platform) * 3)
    )
    return MyChannelsView(rows=rows)


def _comms_view(texts: Texts, *, sent: bool = False, error: bool = False) -> CommsSummaryView:
    return CommsSummaryView(
        summary=_summary(texts),
        sections=_sections(texts),
        version=3,
        sent=f"Skickat till {_PEOPLE[0]}. Tack!" if sent else None,
        error=texts("form.errors.too_long", limit=2000, length=2400) if error else None,
    )


def _admin_view(texts: Texts) -> AdminOverviewView:
    line = AdminChannelLine("Fritidsgården Åsen", "Fritid Norr", "skulle vara klar 2 mars 2026")
    return AdminOverviewView(
        counts=(
            (texts("channel_status.active"), "412"),
            (texts("channel_status.pending_approval"), "3"),
        ),
        overdue=(line,) * 15,
        understaffed=(line,),
        more_overdue=27,
        csv_url="https://kanalkollen.example/registry.csv",
    )


def _doc_view() -> DocumentationReminderView:
    return DocumentationReminderView(
        channel_id=7,
        due_iso="2026-03-17",
        name="Fritidsgården Ugglan",
        platform="Instagram",
        due="17 mars 2026",
        last_documented="17 september 2025",
        overdue_days=0,
    )
