"""A Teams message as plain text, for the e-mail that reaches a person Teams cannot.

Reads what a person would see of a message activity: its text, and of each Adaptive Card the
text blocks, facts, rich text and the titles of its buttons, in order. Inputs are left out (an
e-mail cannot fill them in); the buttons are listed so the person knows what waits in Teams.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from cards.common import unescape_md

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
_DECISION_ACTIONS = frozenset({"Action.Execute", "Action.Submit"})
_MAX_DEPTH = 30  # cards nest containers; a malformed payload must not recurse forever


@dataclass(frozen=True)
class PlainMessage:
    """What a message says: its first line as a title, the rest, and the buttons it has."""

    title: str
    lines: tuple[str, ...]
    actions: tuple[str, ...]  # titles of the buttons that act in Teams (Execute, Submit)
    links: tuple[tuple[str, str], ...]  # (title, url) of Action.OpenUrl buttons

    @property
    def waits_for_an_answer(self) -> bool:
        """True when the message asks its reader to act in Teams (approve, accept, confirm)."""
        return bool(self.actions)


def plain_message(activity: dict[str, Any]) -> PlainMessage:
    """The text of a message activity as the JSON the outbox keeps."""
    lines: list[str] = []
    actions: list[str] = []
    links: list[tuple[str, str]] = []
    text = activity.get("text")
    if isinstance(text, str) and text.strip():
        lines.append(text.strip())
    for item in activity.get("attachments") or []:
        if not isinstance(item, dict) or item.get("contentType") != ADAPTIVE_CARD:
            continue
        content = item.get("content")
        if isinstance(content, dict):
            _read(content, lines, actions, links, 0)
    lines = [line for line in lines if line]
    title = lines[0] if lines else ""
    return PlainMessage(title, tuple(lines[1:]), tuple(actions), tuple(links))


def _read(
    element: dict[str, Any],
    lines: list[str],
    actions: list[str],
    links: list[tuple[str, str]],
    depth: int,
) -> None:
    if depth > _MAX_DEPTH or element.get("isVisible") is False:
        return
    kind = element.get("type")
    if kind == "TextBlock" and isinstance(element.get("text"), str):
        lines.append(unescape_md(element["text"]).strip())
    elif kind == "RichTextBlock":
        runs = [r.get("text", "") for r in element.get("inlines") or [] if isinstance(r, dict)]
        lines.append("".join(str(run) for run in runs).strip())
    elif kind == "FactSet":
        for fact in element.get("facts") or []:
            if isinstance(fact, dict):
                line = f"{fact.get('title', '')}: {fact.get('value', '')}"
                lines.append(unescape_md(line).strip())
    elif kind in _DECISION_ACTIONS and isinstance(element.get("title"), str):
        actions.append(element["title"])
    elif kind == "Action.OpenUrl" and isinstance(element.get("url"), str):
        links.append((str(element.get("title") or element["url"]), element["url"]))
    for child in _children(element):
        _read(child, lines, actions, links, depth + 1)


def _children(element: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for key in ("body", "items", "columns", "actions"):
        for child in element.get(key) or []:
            if isinstance(child, dict):
                yield child
    for key in ("selectAction", "card"):  # a tappable container, Action.ShowCard's card
        child = element.get(key)
        if isinstance(child, dict):
            yield child
