"""Private building blocks of the channel cards: inputs with their errors, summaries, refresh.

The channel cards (request form, approval, status, editors, registration, my channels,
communications) lay out ready views from cards/views.py; what they repeat lives here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from cards.actions import Scalar
from cards.common import escape_md, facts, paragraph, subheading
from cards.i18n import Texts
from cards.verbs import Verb
from cards.views import ChannelSummary, Decision, PlanSection

# Teams' people picker: a ChoiceSet whose choices Teams fetches from the organisation's
# directory; its value is the chosen people's AAD object ids, comma-separated.
PEOPLE_QUERY = {"type": "Data.Query", "dataset": "graph.microsoft.com/users"}
# A manager's or the communications department's comment; the dialogs check the same limit.
COMMENT_MAX_LENGTH = 2000

Element = dict[str, Any]


def error_text(field: str, text: str) -> Element:
    """The red line right under an input that says what is wrong with it."""
    return paragraph(text, id=f"{field}_error", color="Attention", spacing="Small")


def help_text(text: str) -> Element:
    """A small grey line under an input that says what to write."""
    return paragraph(text, isSubtle=True, size="Small", spacing="Small")


def with_error(input_element: Element, errors: Mapping[str, str]) -> list[Element]:
    """An input followed by its error, when it has one."""
    field = input_element["id"]
    error = errors.get(field)
    return [input_element, error_text(field, error)] if error else [input_element]


def text_input(
    field: str,
    label: str,
    *,
    value: str = "",
    required: bool = False,
    error_message: str | None = None,
    max_length: int | None = None,
    multiline: bool = False,
    placeholder: str | None = None,
    style: str | None = None,
) -> Element:
    """An Input.Text with its label; empty optional attributes are left out."""
    element: Element = {"type": "Input.Text", "id": field, "label": label}
    optional: dict[str, Any] = {
        "isMultiline": multiline or None,
        "isRequired": required or None,
        "errorMessage": error_message,
        "maxLength": max_length,
        "placeholder": placeholder,
        "style": style,
        "value": value or None,
    }
    element.update({key: item for key, item in optional.items() if item is not None})
    return element


def people_picker(
    field: str,
    label: str,
    *,
    value: str = "",
    multiple: bool,
    error_message: str,
    placeholder: str | None = None,
) -> Element:
    """A required Teams people picker; its value is comma-separated AAD object ids."""
    element: Element = {
        "type": "Input.ChoiceSet",
        "id": field,
        "label": label,
        "isMultiSelect": multiple,
        "isRequired": True,
        "errorMessage": error_message,
        "choices": [],
        "choices.data": dict(PEOPLE_QUERY),
    }
    if placeholder:
        element["placeholder"] = placeholder
    if value:
        element["value"] = value
    return element


def notice(text: str | None) -> list[Element]:
    """A highlighted sentence at the top of a card (e.g. "fix the marked fields")."""
    if not text:
        return []
    return [{"type": "Container", "style": "warning", "items": [paragraph(text)]}]


def outcome(text: str, style: str = "emphasis") -> Element:
    """A highlighted result that replaces a card's inputs once it is done."""
    return {
        "type": "Container",
        "style": style,
        "spacing": "Medium",
        "items": [paragraph(text, weight="Bolder")],
    }


def summary_facts(
    summary: ChannelSummary,
    texts: Texts,
    *,
    status: bool = True,
    people: bool = True,
) -> Element:
    """The channel at a glance: platform, name, unit, people and status."""
    pairs = [
        (texts("status.fact_name"), escape_md(summary.name)),
        (texts("status.fact_platform"), escape_md(summary.platform)),
        (texts("status.fact_unit"), escape_md(summary.unit)),
    ]
    if people:
        pairs += [
            (texts("status.fact_requester"), escape_md(summary.requester)),
            (texts("status.fact_manager"), escape_md(summary.manager)),
            (texts("status.fact_editors"), escape_md(", ".join(summary.editors))),
        ]
    if summary.address:
        pairs.append((texts("status.fact_address"), escape_md(summary.address)))
    if status:
        pairs.append((texts("status.fact_status"), summary.status))
    return facts(pairs)


def purpose(summary: ChannelSummary, texts: Texts) -> list[Element]:
    """The channel's purpose and audience, as a titled paragraph (it may be long)."""
    return [subheading(texts("status.purpose_heading")), paragraph(escape_md(summary.purpose))]


def plan_sections(sections: Iterable[PlanSection]) -> list[Element]:
    """The plan's sections, each a heading and its text (R5)."""
    elements: list[Element] = []
    for section in sections:
        elements += [
            subheading(section.heading),
            paragraph(escape_md(section.text), spacing="Small"),
        ]
    return elements


def plan_link(summary: ChannelSummary, texts: Texts) -> list[Element]:
    """A button that opens the plan document (R5), when there is one."""
    if not summary.plan_url:
        return []
    open_plan = {"type": "Action.OpenUrl", "title": texts("status.open_plan")}
    return [{"type": "ActionSet", "actions": [{**open_plan, "url": summary.plan_url}]}]


def decision_block(decision: Decision, texts: Texts) -> Element:
    """The manager's decision: what, who, when and the comment."""
    pairs = [
        (texts("status.decision_by"), escape_md(decision.by)),
        (texts("status.decision_at"), decision.at),
    ]
    if decision.comment:
        pairs.append((texts("status.decision_comment"), escape_md(decision.comment)))
    return {
        "type": "Container",
        "style": "emphasis",
        "spacing": "Medium",
        "items": [
            paragraph(texts("status.decision_title", label=decision.label), weight="Bolder"),
            facts(pairs),
        ],
    }


def refresh(verb: Verb, data: dict[str, Scalar], user_ids: Iterable[str]) -> dict[str, Any]:
    """The card's automatic refresh for the given users, or nothing without users.

    Clients without Universal Actions do not refresh, so the action needs no fallback.
    """
    users = list(user_ids)
    if not users:
        return {}
    action = {"type": "Action.Execute", "verb": verb.value, "data": {**data, "verb": verb.value}}
    return {"refresh": {"action": action, "userIds": users}}
