"""Small building blocks shared by the card builders."""

from __future__ import annotations

import re
from typing import Any

ADAPTIVE_CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
SCHEMA_URL = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD_VERSION = "1.5"


# What Teams renders in a TextBlock or a FactSet: bold, italic, links, lists (a Markdown subset).
_MARKDOWN_INLINE = re.compile(r"([\\`*_\[\]~<>])")
_MARKDOWN_ESCAPE = re.compile(r"\\([\\`*_\[\]~<>+\-.)])")
_MARKDOWN_LIST = re.compile(r"^([ \t]*)(?:([-+])|(\d+)([.)]))(?=\s|$)", re.MULTILINE)


def escape_md(text: str | None) -> str:
    """User-supplied text, to be shown literally where a card renders Markdown.

    A requester's `[click](https://…)` must not become a link on the manager's card, nor
    `**…**` bold: every name, purpose, plan section, comment, address or file name a person
    typed goes through here before a TextBlock, a FactSet or a catalog text takes it."""
    if not text:
        return ""
    escaped = _MARKDOWN_INLINE.sub(r"\\\1", text)
    return _MARKDOWN_LIST.sub(_escape_list_marker, escaped)


def unescape_md(text: str) -> str:
    """Text that went through `escape_md`, as the person typed it (for plain-text e-mail)."""
    return _MARKDOWN_ESCAPE.sub(r"\1", text)


def _escape_list_marker(match: re.Match[str]) -> str:
    indent, bullet, number, delimiter = match.groups()
    if bullet:
        return f"{indent}\\{bullet}"
    return f"{indent}{number}\\{delimiter}"


def card(
    body: list[dict[str, Any]], actions: list[dict[str, Any]] | None = None, **extra: Any
) -> dict[str, Any]:
    """Wraps body elements and actions in an Adaptive Card 1.5."""
    content: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": SCHEMA_URL,
        "version": CARD_VERSION,
        "body": body,
        **extra,
    }
    if actions:
        content["actions"] = actions
    return content


def heading(text: str) -> dict[str, Any]:
    """A card title."""
    return {
        "type": "TextBlock",
        "text": text,
        "size": "Large",
        "weight": "Bolder",
        "wrap": True,
        "style": "heading",
    }


def subheading(text: str) -> dict[str, Any]:
    """A section title inside a card."""
    return {
        "type": "TextBlock",
        "text": text,
        "weight": "Bolder",
        "wrap": True,
        "spacing": "Medium",
    }


def paragraph(text: str, **extra: Any) -> dict[str, Any]:
    """A wrapped paragraph of text (Teams renders a subset of Markdown)."""
    return {"type": "TextBlock", "text": text, "wrap": True, **extra}


def facts(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """A FactSet of title/value pairs."""
    return {"type": "FactSet", "facts": [{"title": t, "value": v} for t, v in pairs]}


def attachment(content: dict[str, Any]) -> dict[str, Any]:
    """Wraps a card as a Bot Framework attachment dict."""
    return {"contentType": ADAPTIVE_CARD_CONTENT_TYPE, "content": content}


def note_card(text: str) -> dict[str, Any]:
    """A card with one sentence, for answers that replace a clicked card."""
    return card([paragraph(text)])
