"""What the consent form's card data holds, read defensively (a card's data is user input)."""

from __future__ import annotations

from typing import Any

from cards.consent import (
    MAX_ROWS,
    PersonRowValues,
)


def text_of(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # a typed row id (dialogs/verb_data.py), shown back in the form
    return value.strip() if isinstance(value, str) else ""


def row_count(data: dict[str, Any]) -> int:
    raw = data.get("rows")
    try:
        count = int(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        count = 1
    return max(1, min(MAX_ROWS, count))


def rows_of(data: dict[str, Any], count: int) -> tuple[PersonRowValues, ...]:
    return tuple(
        PersonRowValues(
            name=text_of(data, f"p{i}_name"),
            minor=text_of(data, f"p{i}_minor") == "true",
            guardian=text_of(data, f"p{i}_guardian"),
            form=text_of(data, f"p{i}_form"),
            filed=text_of(data, f"p{i}_filed"),
        )
        for i in range(count)
    )


def reuse_ids(data: dict[str, Any]) -> list[int]:
    ids = []
    for part in text_of(data, "reuse").split(","):
        if part.strip().isdigit():
            ids.append(int(part.strip()))
    return ids
