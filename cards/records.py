"""Before deleting (R11) and closing a channel (R13): the question, the outcome, the checklist."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cards.actions import Scalar, execute_action
from cards.channel_common import Element, notice, outcome, text_input, with_error
from cards.common import card, escape_md, facts, heading, paragraph, subheading
from cards.consent import Option
from cards.i18n import Texts
from cards.verbs import Verb

DESCRIPTION_LIMIT = 300


@dataclass(frozen=True)
class DeletionFormView:
    """The question before deleting: which channel, what, where, covered, importance."""

    channels: tuple[Option, ...]
    channel_id: str = ""
    kind: str = ""
    description: str = ""
    covered: str = ""
    passing: str = ""
    records_plan_url: str = ""
    errors: dict[str, str] | None = None
    notice: str | None = None


@dataclass(frozen=True)
class DeletionOutcomeView:
    """The records rules' answer and, for "capture first", the capture and the confirmation."""

    decision_id: int
    channel: str
    channel_id: int
    kind: str
    description: str
    outcome: str
    last_documented: str
    captured: str | None = None
    done: str | None = None
    notice: str | None = None


@dataclass(frozen=True)
class ClosingView:
    """The closing checklist (R13) and, for the manager, the confirmation."""

    closing_id: int
    channel: str
    platform: str
    address: str
    status: str
    export: str | None
    screenshots: tuple[str, ...]
    records_mailbox: str
    submitted: str | None = None
    for_manager: bool = False
    done: str | None = None
    notice: str | None = None


def _choice(
    field_id: str, label: str, options: tuple[Option, ...], value: str, texts: Texts
) -> Element:
    element: Element = {
        "type": "Input.ChoiceSet",
        "id": field_id,
        "label": label,
        "style": "expanded",
        "choices": [{"title": o.title, "value": o.value} for o in options],
        "isRequired": True,
        "errorMessage": texts("deletion.choose"),
    }
    if value:
        element["value"] = value
    return element


def deletion_form_card(view: DeletionFormView, texts: Texts) -> dict[str, Any]:
    """Builds the question before deleting (R11)."""
    errors = view.errors or {}
    body: list[Element] = [
        heading(texts("deletion.title")),
        paragraph(texts("deletion.intro")),
        *notice(view.notice),
    ]
    if view.records_plan_url:
        body.append(paragraph(texts("deletion.records_plan", url=view.records_plan_url)))
    channels = _choice(
        "channel_id",
        texts("deletion.channel"),
        view.channels,
        view.channel_id or (view.channels[0].value if len(view.channels) == 1 else ""),
        texts,
    )
    channels.pop("style")
    body += with_error(channels, errors)
    kinds = tuple(
        Option(kind, texts(f"deletion.kind_{kind}"))
        for kind in ("image", "post", "comment", "channel")
    )
    body += with_error(_choice("kind", texts("deletion.kind"), kinds, view.kind, texts), errors)
    body += with_error(
        text_input(
            "description",
            texts("deletion.description"),
            value=view.description,
            max_length=DESCRIPTION_LIMIT,
            placeholder=texts("deletion.description_hint"),
        ),
        errors,
    )
    yes_no = (Option("yes", texts("deletion.yes")), Option("no", texts("deletion.no")))
    body += with_error(
        _choice("covered", texts("deletion.covered"), yes_no, view.covered, texts), errors
    )
    passing = _choice("passing", texts("deletion.passing"), yes_no, view.passing, texts)
    passing.pop("isRequired")
    body += with_error(passing, errors)
    return card(body, [execute_action(texts("deletion.check"), Verb.DELETION_CHECK, {})])


def deletion_outcome_card(view: DeletionOutcomeView, texts: Texts) -> dict[str, Any]:
    """Builds the outcome: delete, capture first (then delete), keep, or close the channel."""
    styles = {"delete": "good", "capture_first": "warning", "keep": "attention"}
    body: list[Element] = [
        heading(texts("deletion.outcome_title", channel=escape_md(view.channel))),
        facts(
            [
                (texts("deletion.kind"), texts(f"deletion.kind_{view.kind}")),
                (texts("deletion.what"), escape_md(view.description) or "–"),
                (texts("deletion.last_documented"), view.last_documented),
            ]
        ),
        outcome(texts(f"deletion.outcome_{view.outcome}"), styles.get(view.outcome, "emphasis")),
        *notice(view.notice),
    ]
    ids: dict[str, Scalar] = {"decision_id": view.decision_id}
    if view.outcome == "close_channel":
        start = execute_action(
            texts("closing.start"), Verb.CLOSING_START, {"channel_id": view.channel_id}
        )
        return card(body, [start])
    if view.outcome != "capture_first":
        return card(body)
    if view.captured:
        body.append(paragraph(view.captured))
    if view.done:
        return card([*body, outcome(view.done, "good")])
    actions = []
    if not view.captured:
        actions.append(execute_action(texts("deletion.capture"), Verb.DELETION_CAPTURE, ids))
    actions.append(
        execute_action(texts("deletion.deleted"), Verb.DELETION_DONE, ids, style="positive")
    )
    return card(body, actions)


def closing_pick_card(channels: tuple[Option, ...], texts: Texts) -> dict[str, Any]:
    """Builds the first question of closing: which channel (R13)."""
    picker: Element = {
        "type": "Input.ChoiceSet",
        "id": "channel_id",
        "label": texts("closing.channel"),
        "choices": [{"title": o.title, "value": o.value} for o in channels],
        "isRequired": True,
        "errorMessage": texts("deletion.choose"),
    }
    if len(channels) == 1:
        picker["value"] = channels[0].value
    body = [heading(texts("closing.title_pick")), paragraph(texts("closing.intro")), picker]
    return card(body, [execute_action(texts("closing.start"), Verb.CLOSING_START, {})])


def closing_card(view: ClosingView, texts: Texts) -> dict[str, Any]:
    """Builds the closing checklist (R13), or the manager's confirmation."""
    body: list[Element] = [
        heading(texts("closing.title", channel=escape_md(view.channel))),
        facts(
            [
                (texts("closing.platform"), escape_md(view.platform)),
                (texts("closing.address"), escape_md(view.address) or "–"),
                (texts("closing.status"), texts(f"closing.status_{view.status}")),
            ]
        ),
        *notice(view.notice),
    ]
    if view.done:
        return card([*body, outcome(view.done, "good")])
    ids: dict[str, Scalar] = {"closing_id": view.closing_id}
    export = escape_md(view.export) or texts("closing.not_yet")
    shots = escape_md(", ".join(view.screenshots)) or texts("closing.not_yet")
    mailbox = view.records_mailbox or texts("closing.kept_in_bot")
    body += [
        subheading(texts("closing.step_export")),
        paragraph(texts("closing.export_how"), spacing="Small"),
        paragraph(texts("closing.have", what=export), spacing="Small"),
        subheading(texts("closing.step_screenshots")),
        paragraph(texts("closing.screenshots_how"), spacing="Small"),
        paragraph(texts("closing.have", what=shots), spacing="Small"),
        subheading(texts("closing.step_send")),
        paragraph(texts("closing.send_how", mailbox=mailbox), spacing="Small"),
    ]
    if view.submitted:
        body.append(paragraph(view.submitted))
    actions = []
    if view.for_manager:
        body.append(paragraph(texts("closing.confirm_how")))
        actions.append(
            execute_action(
                texts("closing.confirm"), Verb.CLOSING_CONFIRM, ids, style="destructive"
            )
        )
    elif view.status == "open":
        actions += [
            execute_action(texts("closing.add_export"), Verb.CLOSING_EXPORT, ids),
            execute_action(texts("closing.add_screenshots"), Verb.CLOSING_SCREENSHOTS, ids),
            execute_action(texts("closing.submit"), Verb.CLOSING_SUBMIT, ids, style="positive"),
        ]
    if view.status in ("open", "submitted"):
        actions.append(execute_action(texts("closing.cancel"), Verb.CLOSING_CANCEL, ids))
    return card(body, actions)
