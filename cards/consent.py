"""Consent before publishing (R9, R10): the check form, its outcome, and the consent register."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cards.actions import Scalar, execute_action
from cards.channel_common import Element, notice, outcome, text_input, with_error
from cards.common import card, escape_md, facts, heading, paragraph, subheading
from cards.i18n import Texts
from cards.verbs import Verb

NAME_LIMIT = 200
REFERENCE_LIMIT = 300
MAX_ROWS = 8


@dataclass(frozen=True)
class Option:
    """One choice in a list: its value and what the user reads."""

    value: str
    title: str


@dataclass(frozen=True)
class PersonRowValues:
    """What was typed in one person's row of the form."""

    name: str = ""
    minor: bool = False
    guardian: str = ""
    form: str = ""
    filed: str = ""


@dataclass(frozen=True)
class ConsentFormView:
    """The consent check form, with the answers so far and errors by field id."""

    channels: tuple[Option, ...]
    channel_id: str = ""
    identifiable: str = ""
    use: str = ""
    people: str = ""
    rows: tuple[PersonRowValues, ...] = (PersonRowValues(),)
    reusable: tuple[Option, ...] = ()
    reuse: str = ""
    guardian_age: int = 15
    template_url: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    notice: str | None = None


@dataclass(frozen=True)
class MissingLine:
    """One thing that stops the publication, for a named person or the whole picture."""

    text: str


@dataclass(frozen=True)
class ConsentOutcomeView:
    """The check's answer: publish or stop, and then the post's address."""

    check_id: int
    channel_name: str
    publish: bool
    missing: tuple[MissingLine, ...] = ()
    covered: tuple[str, ...] = ()
    ask_post: bool = False
    post_address: str | None = None
    post_value: str = ""
    post_error: str | None = None
    template_url: str = ""
    notice: str | None = None


@dataclass(frozen=True)
class RegisterLine:
    """One consent as the register shows it."""

    subject: str
    channel: str
    facts: tuple[tuple[str, str], ...]
    withdrawn: bool = False


@dataclass(frozen=True)
class ConsentRegisterView:
    """The consents the user may see, newest first, and the CSV export's link."""

    lines: tuple[RegisterLine, ...]
    more: int = 0
    export_url: str | None = None


def _choice_set(
    field_id: str,
    label: str,
    options: tuple[Option, ...],
    *,
    value: str = "",
    expanded: bool = False,
    required: bool = False,
    multi: bool = False,
    error_message: str | None = None,
) -> Element:
    element: Element = {
        "type": "Input.ChoiceSet",
        "id": field_id,
        "label": label,
        "choices": [{"title": o.title, "value": o.value} for o in options],
    }
    optional: dict[str, Any] = {
        "style": "expanded" if expanded else None,
        "value": value or None,
        "isRequired": required or None,
        "isMultiSelect": multi or None,
        "errorMessage": error_message,
    }
    element.update({k: v for k, v in optional.items() if v is not None})
    return element


def _template(url: str, texts: Texts) -> list[Element]:
    """R10: the consent agreement template, where written consent is needed."""
    if not url:
        return []
    return [paragraph(texts("consent.template", url=url), spacing="Small")]


def consent_form_card(view: ConsentFormView, texts: Texts) -> dict[str, Any]:
    """Builds the consent check (R9, R10): who is in the picture and what they said yes to."""
    errors = view.errors
    body: list[Element] = [
        heading(texts("consent.title")),
        paragraph(texts("consent.intro", age=view.guardian_age)),
        *notice(view.notice),
    ]
    body += with_error(
        _choice_set(
            "channel_id",
            texts("consent.channel"),
            view.channels,
            value=view.channel_id or (view.channels[0].value if len(view.channels) == 1 else ""),
            required=True,
            error_message=texts("consent.choose"),
        ),
        errors,
    )
    yes_no = (Option("yes", texts("consent.yes")), Option("no", texts("consent.no")))
    body += with_error(
        _choice_set(
            "identifiable",
            texts("consent.identifiable"),
            yes_no,
            value=view.identifiable,
            expanded=True,
            required=True,
            error_message=texts("consent.choose"),
        ),
        errors,
    )
    uses = (
        Option("one_post", texts("consent.use_one_post")),
        Option("several_contexts", texts("consent.use_several_contexts")),
    )
    body += with_error(
        _choice_set(
            "use",
            texts("consent.use"),
            uses,
            value=view.use,
            expanded=True,
            required=True,
            error_message=texts("consent.choose"),
        ),
        errors,
    )
    body += _template(view.template_url, texts)
    body += with_error(
        {
            "type": "Input.Number",
            "id": "people",
            "label": texts("consent.people"),
            "min": 0,
            "max": 100,
            **({"value": int(view.people)} if view.people.isdigit() else {}),
        },
        errors,
    )
    if view.reusable:
        body.append(subheading(texts("consent.reuse_heading")))
        body += with_error(
            _choice_set(
                "reuse",
                texts("consent.reuse"),
                view.reusable,
                value=view.reuse,
                multi=True,
            ),
            errors,
        )
    forms = (
        Option("none", texts("consent.form_none")),
        Option("oral", texts("consent.form_oral")),
        Option("written", texts("consent.form_written")),
    )
    for index, row in enumerate(view.rows):
        body.append(subheading(texts("consent.person_heading", number=index + 1)))
        body += with_error(
            text_input(
                f"p{index}_name",
                texts("consent.person_name"),
                value=row.name,
                max_length=NAME_LIMIT,
                placeholder=texts("consent.person_name_hint"),
            ),
            errors,
        )
        body.append(
            {
                "type": "Input.Toggle",
                "id": f"p{index}_minor",
                "title": texts("consent.person_minor", age=view.guardian_age),
                "value": "true" if row.minor else "false",
                "valueOn": "true",
                "valueOff": "false",
            }
        )
        body += with_error(
            text_input(
                f"p{index}_guardian",
                texts("consent.person_guardian"),
                value=row.guardian,
                max_length=NAME_LIMIT,
            ),
            errors,
        )
        body += with_error(
            _choice_set(f"p{index}_form", texts("consent.person_form"), forms, value=row.form),
            errors,
        )
        body += with_error(
            text_input(
                f"p{index}_filed",
                texts("consent.person_filed"),
                value=row.filed,
                max_length=REFERENCE_LIMIT,
                placeholder=texts("consent.person_filed_hint"),
            ),
            errors,
        )
    rows: dict[str, Scalar] = {"rows": len(view.rows)}
    actions = [execute_action(texts("consent.check"), Verb.CONSENT_CHECK, rows, style="positive")]
    if len(view.rows) < MAX_ROWS:
        actions.append(execute_action(texts("consent.add_person"), Verb.CONSENT_ADD_PERSON, rows))
    return card(body, actions)


def consent_outcome_card(view: ConsentOutcomeView, texts: Texts) -> dict[str, Any]:
    """Builds the check's answer: *publish* or *stop, this is missing* (R9, R10)."""
    body: list[Element] = [
        heading(texts("consent.outcome_title", name=escape_md(view.channel_name)))
    ]
    if view.publish:
        body.append(outcome(texts("consent.publish"), "good"))
    else:
        body.append(outcome(texts("consent.stop"), "attention"))
        body.append(subheading(texts("consent.missing_heading")))
        # The lines are catalog sentences around a person's name: shown as plain text.
        body += [paragraph(f"- {escape_md(line.text)}", spacing="Small") for line in view.missing]
        body += _template(view.template_url, texts)
    if view.covered:
        body.append(subheading(texts("consent.covered_heading")))
        body += [paragraph(f"- {escape_md(name)}", spacing="Small") for name in view.covered]
    body += notice(view.notice)
    if view.post_address:
        body.append(facts([(texts("consent.post"), escape_md(view.post_address))]))
        return card(body)
    if not view.ask_post:
        return card(body)
    body.append(paragraph(texts("consent.ask_post")))
    body += with_error(
        text_input(
            "post_address",
            texts("consent.post"),
            value=view.post_value,
            required=True,
            error_message=texts("consent.post_error"),
            max_length=REFERENCE_LIMIT,
            style="Url",
        ),
        {"post_address": view.post_error} if view.post_error else {},
    )
    ids: dict[str, Scalar] = {"check_id": view.check_id}
    return card(body, [execute_action(texts("consent.save_post"), Verb.CONSENT_POST, ids)])


def consent_register_card(view: ConsentRegisterView, texts: Texts) -> dict[str, Any]:
    """Builds the consent register of the user's channels (editors and managers only)."""
    body: list[Element] = [heading(texts("consents.title"))]
    if not view.lines:
        body.append(paragraph(texts("consents.empty")))
        return card(body)
    for line in view.lines:
        title = texts(
            "consents.line", subject=escape_md(line.subject), channel=escape_md(line.channel)
        )
        items: list[Element] = [subheading(title)]
        if line.withdrawn:
            items.append(outcome(texts("consents.withdrawn"), "attention"))
        items.append(facts([(title, escape_md(value)) for title, value in line.facts]))
        body.append({"type": "Container", "items": items, "separator": True})
    if view.more:
        body.append(paragraph(texts("consents.more", count=view.more)))
    actions = []
    if view.export_url:
        actions.append(
            {"type": "Action.OpenUrl", "title": texts("consents.export"), "url": view.export_url}
        )
    return card(body, actions)
