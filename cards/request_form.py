"""The new-channel form ("ny kanal"): the channel, its plan, the editors and the login (R2–R6).

Shown again with each error right under its field and the user's answers kept.
"""

from __future__ import annotations

from typing import Any

from cards.actions import Scalar, execute_action
from cards.channel_common import (
    Element,
    help_text,
    notice,
    people_picker,
    text_input,
    with_error,
)
from cards.common import card, escape_md, facts, heading, paragraph, subheading
from cards.i18n import Texts
from cards.verbs import Verb
from cards.views import RequestFormView
from domain.channel_request import OTHER_UNIT, PLAN_FIELDS, TEXT_LIMITS


def request_form_card(view: RequestFormView, texts: Texts) -> dict[str, Any]:
    """Builds the new-channel form, with earlier answers and errors when shown again."""
    resubmitting = view.channel_id is not None
    body: list[Element] = [
        heading(texts("form.title_resubmit" if resubmitting else "form.title")),
        *notice(view.notice),
        *_manager_comment(view, texts),
        paragraph(texts("form.intro")),
    ]
    if view.plan_template_url:
        body.append(paragraph(texts("form.template_link", url=view.plan_template_url)))
    body += [
        subheading(texts("form.channel_heading")),
        *with_error(_platform(view, texts), view.errors),
        *_text(view, texts, "name"),
        *_administration(view, texts),
        *_unit(view, texts),
        *_text(view, texts, "purpose", multiline=True),
        subheading(texts("form.plan_heading")),
        paragraph(texts("form.plan_intro"), isSubtle=True, spacing="Small"),
    ]
    for section in PLAN_FIELDS:
        body += _text(view, texts, section, multiline=True)
    body += [
        *with_error(_evaluation_date(view, texts), view.errors),
        subheading(texts("form.people_heading")),
        *_editors(view, texts),
        *_manager(view, texts),
        subheading(texts("form.login_heading")),
        *_text(view, texts, "login_reference"),
        # R6: where the login is kept, so that the manager can reach it; never the password.
        help_text(texts("form.fields.login_reference_help")),
    ]
    data: dict[str, Scalar] = {}
    if view.channel_id is not None:
        data["channel_id"] = view.channel_id
    if view.version is not None:
        data["version"] = view.version
    submit = texts("form.resubmit" if resubmitting else "form.submit")
    return card(body, [execute_action(submit, Verb.CHANNEL_SUBMIT, data, style="positive")])


def _manager_comment(view: RequestFormView, texts: Texts) -> list[Element]:
    """What the manager asked to change, above the form that is sent again."""
    if not view.manager_comment:
        return []
    return [
        {
            "type": "Container",
            "style": "emphasis",
            "items": [
                paragraph(texts("form.manager_comment_heading"), weight="Bolder"),
                paragraph(escape_md(view.manager_comment), spacing="Small"),
            ],
        }
    ]


def _text(
    view: RequestFormView, texts: Texts, field: str, *, multiline: bool = False
) -> list[Element]:
    """A required text field of the form with its placeholder, limit and error."""
    placeholder_key = f"form.fields.{field}_placeholder"
    element = text_input(
        field,
        texts(f"form.fields.{field}"),
        value=view.values.get(field, ""),
        required=True,
        error_message=texts("form.errors.required"),
        max_length=TEXT_LIMITS[field],
        multiline=multiline,
        placeholder=texts(placeholder_key),
    )
    return with_error(element, view.errors)


def _unit(view: RequestFormView, texts: Texts) -> list[Element]:
    """The unit: typed, or (R2) chosen from the policy's units, whose deputies may decide;
    a unit the list lacks is typed below it."""
    if not view.units:
        return _text(view, texts, "unit")
    choices = [{"title": unit, "value": unit} for unit in view.units]
    choices.append({"title": texts("form.fields.unit_other_choice"), "value": OTHER_UNIT})
    element: Element = {
        "type": "Input.ChoiceSet",
        "id": "unit",
        "label": texts("form.fields.unit"),
        "style": "compact",
        "isRequired": True,
        "errorMessage": texts("form.errors.choose_unit"),
        "placeholder": texts("form.fields.unit_choice_placeholder"),
        "choices": choices,
    }
    if view.values.get("unit"):
        element["value"] = view.values["unit"]
    other = text_input(
        "unit_other",
        texts("form.fields.unit_other"),
        value=view.values.get("unit_other", ""),
        max_length=TEXT_LIMITS["unit"],
        placeholder=texts("form.fields.unit_placeholder"),
    )
    return [*with_error(element, view.errors), *with_error(other, view.errors)]


def _platform(view: RequestFormView, texts: Texts) -> Element:
    """The platform, chosen from a compact list."""
    element: Element = {
        "type": "Input.ChoiceSet",
        "id": "platform",
        "label": texts("form.fields.platform"),
        "style": "compact",
        "isRequired": True,
        "errorMessage": texts("form.errors.choose_platform"),
        "placeholder": texts("form.fields.platform_placeholder"),
        "choices": [{"title": choice.title, "value": choice.value} for choice in view.platforms],
    }
    if view.values.get("platform"):
        element["value"] = view.values["platform"]
    return element


def _administration(view: RequestFormView, texts: Texts) -> list[Element]:
    """The administration the channel belongs to, asked when the directory did not say."""
    if not view.administrations:
        return []
    element: Element = {
        "type": "Input.ChoiceSet",
        "id": "administration",
        "label": texts("organisations.form.administration"),
        "style": "compact",
        "isRequired": True,
        "errorMessage": texts("organisations.errors.choose_administration"),
        "placeholder": texts("organisations.form.administration_placeholder"),
        "choices": [{"title": c.title, "value": c.value} for c in view.administrations],
    }
    if view.values.get("administration"):
        element["value"] = view.values["administration"]
    return [
        *with_error(element, view.errors),
        help_text(texts("organisations.form.administration_help")),
    ]


def _evaluation_date(view: RequestFormView, texts: Texts) -> Element:
    """The date by which the channel is evaluated (a section of the plan, R5)."""
    element: Element = {
        "type": "Input.Date",
        "id": "evaluation_date",
        "label": texts("form.fields.evaluation_date"),
        "isRequired": True,
        "errorMessage": texts("form.errors.required"),
    }
    if view.values.get("evaluation_date"):
        element["value"] = view.values["evaluation_date"]
    return element


def _editors(view: RequestFormView, texts: Texts) -> list[Element]:
    """The other editors, from the Teams people picker (R3: at least two with the requester)."""
    picker = people_picker(
        "editors",
        texts("form.fields.editors"),
        value=view.values.get("editors", ""),
        multiple=True,
        error_message=texts("form.fields.editors_error"),
        placeholder=texts("form.fields.editors_placeholder"),
    )
    return [*with_error(picker, view.errors), help_text(texts("form.fields.editors_help"))]


def _manager(view: RequestFormView, texts: Texts) -> list[Element]:
    """The approving manager (R2): asked for when the directory had no answer, else shown."""
    if view.ask_manager:
        picker = people_picker(
            "manager",
            texts("form.fields.manager"),
            value=view.values.get("manager", ""),
            multiple=False,
            error_message=texts("form.errors.manager_required"),
            placeholder=texts("form.fields.manager_placeholder"),
        )
        return [*with_error(picker, view.errors), help_text(texts("form.fields.manager_help"))]
    if not view.manager_name:
        return []
    return [
        facts([(texts("form.fields.manager"), escape_md(view.manager_name))]),
        help_text(texts("form.manager_found_help")),
    ]
