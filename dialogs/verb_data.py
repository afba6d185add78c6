"""The typed data of every card verb, parsed and checked once, before any flow runs.

Each verb declares one of these dataclasses (`dialogs/guard.py`). `parse_data` reads the card's
scalar fields into it: row ids become positive 32-bit integers, texts are bounded, flags are
booleans, and what a form adds beyond the declared fields is kept in `inputs` for the flow's
domain validators. A field that is present but malformed, or a required one that is missing,
is bad data: the person gets a clear answer and nothing changes.

The dataclasses are read-only mappings too (`data.get("comment")`), so a flow reads a declared
field and a form input the same way.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, TypeVar, get_type_hints

from cards.actions import Scalar
from dialogs.actor import row_id
from storage.models import (
    ChannelClosingRow,
    ChannelEditorRow,
    ConsentCheckRow,
    ConsentRow,
    DeletionDecisionRow,
    RemovalTaskRow,
)

# A card's text field (a comment, an address, a note): longer is refused as bad data.
MAX_TEXT = 20_000
# The fields whose value names a row of one channel (besides `channel_id` itself): the subject
# the permission is checked on.
SUBJECT_ROWS: dict[str, type[Any]] = {
    "editor_id": ChannelEditorRow,
    "consent_id": ConsentRow,
    "check_id": ConsentCheckRow,
    "task_id": RemovalTaskRow,
    "decision_id": DeletionDecisionRow,
    "closing_id": ChannelClosingRow,
}
SUBJECT_KEYS = ("channel_id", *SUBJECT_ROWS)


class BadData(ValueError):
    """The card's data does not fit the verb's declaration (names the field, for the log)."""


@dataclass(frozen=True)
class VerbData(Mapping[str, Any]):
    """Base of every verb's data: the declared fields, and the form's other inputs."""

    inputs: Mapping[str, Scalar] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Any:
        if key != "inputs" and key in _declared(type(self)):
            return getattr(self, key)
        return self.inputs[key]

    def __iter__(self) -> Iterator[str]:
        yield from (k for k in _declared(type(self)) if k != "inputs")
        yield from (k for k in self.inputs if k not in _declared(type(self)))

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def subjects(self) -> dict[str, int]:
        """The row ids this data names, by field."""
        return {k: v for k in SUBJECT_KEYS if isinstance(v := self.get(k), int)}


@dataclass(frozen=True)
class NoData(VerbData):
    """A verb that reads nothing but the form's own inputs."""


@dataclass(frozen=True)
class ChannelRef(VerbData):
    """A verb about one channel, named by the card (or chosen in its form)."""

    channel_id: int | None = None


@dataclass(frozen=True)
class ChannelForm(ChannelRef):
    """A form about a channel, with its version when it is sent again."""

    version: int | None = None


@dataclass(frozen=True)
class DecisionData(VerbData):
    """R2, R5, R6: the manager's decision on one version of a request."""

    channel_id: int | None = None
    version: int | None = None
    comment: str = ""
    login_access: bool = False


@dataclass(frozen=True)
class EditorAnswerData(VerbData):
    """R3: an invited editor's answer to their own invitation."""

    editor_id: int | None = None
    channel_id: int | None = None


@dataclass(frozen=True)
class NominationData(VerbData):
    """R3: the requester names another editor."""

    channel_id: int | None = None
    editors: str = ""


@dataclass(frozen=True)
class RegistrationData(VerbData):
    """R8: the created account's address."""

    channel_id: int | None = None
    version: int | None = None
    address: str = ""


@dataclass(frozen=True)
class CommentData(VerbData):
    """R7: the communications department's comment on a plan."""

    channel_id: int | None = None
    version: int | None = None
    comment: str = ""


@dataclass(frozen=True)
class DocumentationData(VerbData):
    """R12: *Dokumentera nu* on the reminder of one due date."""

    channel_id: int | None = None
    due: str = ""


@dataclass(frozen=True)
class ConsentCheckData(VerbData):
    """R9, R10: the consent check form (its people are inputs)."""

    channel_id: int | None = None


@dataclass(frozen=True)
class ConsentPostData(VerbData):
    """R10: the address of the post that uses a checked consent."""

    check_id: int | None = None
    post_address: str = ""


@dataclass(frozen=True)
class WithdrawalData(VerbData):
    """R9, R11: the consent withdrawn."""

    consent_id: int | None = None
    note: str = ""


@dataclass(frozen=True)
class RemovalTaskData(VerbData):
    """R11: a removal task's step."""

    task_id: int | None = None
    note: str = ""


@dataclass(frozen=True)
class DeletionData(VerbData):
    """R11: what is to be deleted (the form's answers are inputs)."""

    channel_id: int | None = None


@dataclass(frozen=True)
class DeletionStepData(VerbData):
    """R11: a step of a deletion decision."""

    decision_id: int | None = None
    note: str = ""


@dataclass(frozen=True)
class ClosingData(VerbData):
    """R13: a step of a closing checklist."""

    closing_id: int | None = None
    channel_id: int | None = None


@dataclass(frozen=True)
class ReplacementData(VerbData):
    """R3: the manager names a replacement for an unreachable editor."""

    channel_id: int | None = None
    editor_id: int | None = None


D = TypeVar("D", bound=VerbData)


@cache
def _declared(cls: type[VerbData]) -> dict[str, Any]:
    """The declared fields of a data class and their types."""
    hints = get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)}


def parse_data(cls: type[D], raw: Mapping[str, Scalar]) -> D:
    """The card's fields as the verb's data; raises BadData naming the field that does not fit."""
    values: dict[str, Any] = {}
    declared = _declared(cls)
    for name, kind in declared.items():
        if name == "inputs" or name not in raw:
            continue
        values[name] = _value(name, kind, raw[name])
    inputs = {k: v for k, v in raw.items() if k not in declared}
    for key, value in inputs.items():
        if isinstance(value, str) and len(value) > MAX_TEXT:
            raise BadData(key)
    return cls(inputs=inputs, **values)


def _value(name: str, kind: Any, raw: Scalar) -> Any:
    if kind == int | None:
        if raw in ("", None):
            return None
        # A card's version may be 0 (a stale card, answered as such); ids start at 1.
        found = row_id(raw) if name != "version" else _count(raw)
        if found is None:
            raise BadData(name)
        return found
    if kind is bool:
        if isinstance(raw, bool):
            return raw
        return str(raw).strip().lower() == "true"
    text = str(raw)
    if len(text) > MAX_TEXT:
        raise BadData(name)
    return text


def _count(raw: Scalar) -> int | None:
    """A non-negative integer of at most ten digits, else None."""
    text = str(raw).strip() if isinstance(raw, str | int) and not isinstance(raw, bool) else ""
    return int(text) if text.isdigit() and len(text) <= 10 else None
