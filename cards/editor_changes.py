"""Editor changes (R3) and the channel's registered facts (R8): who edits, who answers for it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cards.actions import Scalar, execute_action
from cards.channel_common import Element, notice, outcome, people_picker, text_input, with_error
from cards.common import card, escape_md, facts, heading, paragraph, subheading
from cards.consent import Option
from cards.i18n import Texts
from cards.verbs import Verb
from domain.channel_request import ADDRESS_LIMIT


@dataclass(frozen=True)
class EditorLine:
    """One editor of the channel and where their nomination is."""

    editor_id: int
    name: str
    status: str


@dataclass(frozen=True)
class EditorsView:
    """The channel's editors, the change form and the registered facts."""

    channel_id: int
    channel: str
    editors: tuple[EditorLine, ...]
    min_editors: int
    address: str = ""
    manager: str = ""
    understaffed: bool = False
    errors: dict[str, str] | None = None
    notice: str | None = None
    done: str | None = None


@dataclass(frozen=True)
class ReplaceView:
    """The manager is asked to name a replacement for an editor who cannot be reached (R3)."""

    channel_id: int
    editor_id: int
    channel: str
    editor: str
    reason: str
    error: str | None = None
    done: str | None = None


def _optional_picker(field: str, label: str, multiple: bool, texts: Texts) -> Element:
    picker = people_picker(
        field, label, multiple=multiple, error_message=texts("editor_changes.pick")
    )
    picker.pop("isRequired")
    return picker


def editors_pick_card(channels: tuple[Option, ...], texts: Texts) -> dict[str, Any]:
    """Builds the choice of channel whose editors to change."""
    picker: Element = {
        "type": "Input.ChoiceSet",
        "id": "channel_id",
        "label": texts("editor_changes.channel"),
        "choices": [{"title": o.title, "value": o.value} for o in channels],
        "isRequired": True,
        "errorMessage": texts("editor_changes.pick"),
    }
    body = [heading(texts("editor_changes.title_pick")), picker]
    return card(body, [execute_action(texts("editor_changes.show"), Verb.EDITORS_SHOW, {})])


def editors_card(view: EditorsView, texts: Texts) -> dict[str, Any]:
    """Builds the editors of a channel with the add/remove form (R3) and its facts (R8)."""
    errors = view.errors or {}
    body: list[Element] = [
        heading(texts("editor_changes.title", channel=escape_md(view.channel))),
        paragraph(texts("editor_changes.intro", minimum=view.min_editors)),
    ]
    if view.understaffed:
        body.append(outcome(texts("editor_changes.understaffed"), "warning"))
    body += notice(view.notice)
    if view.done:
        body.append(outcome(view.done, "good"))
    body.append(
        facts(
            [
                (escape_md(line.name), texts(f"editor_changes.status_{line.status}"))
                for line in view.editors
            ]
        )
    )
    ids: dict[str, Scalar] = {"channel_id": view.channel_id}
    body.append(subheading(texts("editor_changes.change_heading")))
    body += with_error(_optional_picker("add", texts("editor_changes.add"), True, texts), errors)
    removable = [
        {"title": line.name, "value": str(line.editor_id)}
        for line in view.editors
        if line.status in ("accepted", "nominated")
    ]
    if removable:
        remove: Element = {
            "type": "Input.ChoiceSet",
            "id": "remove",
            "label": texts("editor_changes.remove"),
            "choices": removable,
        }
        body += with_error(remove, errors)
        body += with_error(
            _optional_picker("replacement", texts("editor_changes.replacement"), False, texts),
            errors,
        )
    actions = [execute_action(texts("editor_changes.save"), Verb.EDITORS_CHANGE, ids)]
    body.append(subheading(texts("editor_changes.facts_heading")))
    body.append(paragraph(texts("editor_changes.facts_intro"), spacing="Small"))
    body += with_error(
        text_input(
            "address",
            texts("editor_changes.address"),
            value=view.address,
            max_length=ADDRESS_LIMIT,
            style="Url",
        ),
        errors,
    )
    manager = escape_md(view.manager) or "–"
    body.append(paragraph(texts("editor_changes.manager_now", name=manager)))
    body += with_error(
        _optional_picker("manager", texts("editor_changes.new_manager"), False, texts), errors
    )
    actions.append(execute_action(texts("editor_changes.update"), Verb.CHANNEL_UPDATE, ids))
    return card(body, actions)


def replace_card(view: ReplaceView, texts: Texts) -> dict[str, Any]:
    """Builds the manager's question: who replaces the editor who cannot be reached (R3)."""
    body: list[Element] = [
        heading(texts("editor_changes.replace_title", channel=escape_md(view.channel))),
        paragraph(
            texts(
                "editor_changes.replace_intro",
                name=escape_md(view.editor),
                reason=escape_md(view.reason),
            )
        ),
    ]
    if view.done:
        return card([*body, outcome(view.done, "good")])
    picker = people_picker(
        "replacement",
        texts("editor_changes.replacement"),
        multiple=False,
        error_message=texts("editor_changes.pick"),
    )
    body += with_error(picker, {"replacement": view.error} if view.error else {})
    ids: dict[str, Scalar] = {"channel_id": view.channel_id, "editor_id": view.editor_id}
    return card(
        body,
        [execute_action(texts("editor_changes.name_replacement"), Verb.EDITOR_REPLACE, ids)],
    )
