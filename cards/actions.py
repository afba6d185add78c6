"""Card actions: the one place that builds and reads an action's data.

Nothing in card data is trusted: `parse_action` checks the shape and sizes only, and the
handler re-reads the truth from the database and re-checks who may act.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cards.verbs import Verb

MAX_FIELDS = 64
Scalar = str | int | float | bool


@dataclass(frozen=True)
class CardAction:
    """A verb and the scalar fields that came with it (ids, form inputs)."""

    verb: Verb | None
    raw_verb: str
    data: dict[str, Scalar] = field(default_factory=dict)


def execute_action(
    title: str, verb: Verb, data: dict[str, Scalar] | None = None, **extra: Any
) -> dict[str, Any]:
    """Builds an Action.Execute with an Action.Submit fallback carrying the same data."""
    payload = {**(data or {}), "verb": verb.value}
    return {
        "type": "Action.Execute",
        "title": title,
        "verb": verb.value,
        "data": payload,
        "fallback": {"type": "Action.Submit", "title": title, "data": payload, **extra},
        **extra,
    }


def parse_action(value: Any) -> CardAction | None:
    """Reads an Action.Execute invoke value or an Action.Submit value; None if it is neither."""
    if not isinstance(value, dict):
        return None
    action = value.get("action")
    if isinstance(action, dict) and action.get("type") == "Action.Execute":
        raw_verb = action.get("verb")
        data = action.get("data")
    else:
        data = value
        raw_verb = value.get("verb")
    if not isinstance(raw_verb, str) or not raw_verb or len(raw_verb) > 64:
        return None
    fields = _scalars(data if isinstance(data, dict) else {})
    fields.pop("verb", None)
    try:
        verb: Verb | None = Verb(raw_verb)
    except ValueError:
        verb = None
    return CardAction(verb=verb, raw_verb=raw_verb, data=fields)


def _scalars(data: dict[Any, Any]) -> dict[str, Scalar]:
    """Keeps the string keys with scalar values ; drops the rest (validators judge lengths)."""
    result: dict[str, Scalar] = {}
    for key, value in list(data.items())[:MAX_FIELDS]:
        if not isinstance(key, str) or key == "msteams":
            continue
        if isinstance(value, str | bool | int | float):
            result[key] = value
    return result
