"""Dialog stacks per conversation: read once a turn, written once at its end, with an eTag.

Ours rather than the SDK's `ConversationState`: that one keeps the loaded state on the
instance (shared by every concurrent turn of the process) and writes without an eTag, so two
turns of one conversation would overwrite each other silently. Here each turn holds its own
copy in `turn_state`, and the write is conditional on the eTag it was read with
(`StateConflictError` otherwise).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jsonpickle
from microsoft_agents.hosting.core import TurnContext
from microsoft_agents.hosting.core.state import StatePropertyAccessor
from microsoft_agents.hosting.dialogs import DialogState

from storage.bot_state import SqlStorage

log = logging.getLogger(__name__)

_TURN_KEY = "kanalkollen.dialog_state"
PROPERTY = "dialog_state"


@dataclass
class _Loaded:
    states: DialogStates
    key: str
    etag: str | None
    state: DialogState
    snapshot: str


def state_key(turn_context: TurnContext) -> str:
    """The storage key of a conversation's state: channel / "conversations" / conversation id."""
    activity = turn_context.activity
    return f"{activity.channel_id}/conversations/{activity.conversation.id}"


class DialogStates(StatePropertyAccessor):  # type: ignore[misc]
    """The dialog-state property the flows' DialogSet reads, kept in the `bot_state` table."""

    def __init__(self, storage: SqlStorage) -> None:
        self._storage = storage

    @property
    def name(self) -> str:
        return PROPERTY

    async def _load(self, turn_context: TurnContext) -> _Loaded:
        loaded: _Loaded | None = turn_context.turn_state.get(_TURN_KEY)
        if loaded is not None:
            return loaded
        key = state_key(turn_context)
        items = await self._storage.read([key])
        item = items.get(key)
        etag = None
        state = None
        if isinstance(item, dict):
            etag = item.get("e_tag")
            state = item.get(PROPERTY)
        if state is not None and not isinstance(state, DialogState):
            # Written by an older version of the bot (another SDK): its flow cannot continue.
            log.info("dropped a dialog state of an older version for %s", key)
            state = None
        state = state or DialogState()
        loaded = _Loaded(self, key, etag, state, _encode(state))
        turn_context.turn_state[_TURN_KEY] = loaded
        return loaded

    async def get(
        self,
        turn_context: TurnContext,
        default_value_or_factory: Callable[[], Any] | Any = None,
        **_kwargs: Any,
    ) -> DialogState:
        return (await self._load(turn_context)).state

    async def set(self, turn_context: TurnContext, value: Any) -> None:
        loaded = await self._load(turn_context)
        loaded.state = value if isinstance(value, DialogState) else DialogState()

    async def delete(self, turn_context: TurnContext) -> None:
        await self.set(turn_context, DialogState())

    def forget(self, turn_context: TurnContext) -> None:
        """Drops what this turn read, so that a retried turn reads the state anew."""
        turn_context.turn_state.pop(_TURN_KEY, None)

    async def save(self, turn_context: TurnContext) -> None:
        """Writes the turn's dialog state if it changed; raises StateConflictError if stale."""
        loaded: _Loaded | None = turn_context.turn_state.get(_TURN_KEY)
        if loaded is None:
            return
        snapshot = _encode(loaded.state)
        if snapshot == loaded.snapshot:
            return
        item: dict[str, Any] = {PROPERTY: loaded.state, "e_tag": loaded.etag}
        await self._storage.write({loaded.key: item})
        loaded.etag = item["e_tag"]
        loaded.snapshot = snapshot


def _encode(state: DialogState) -> str:
    return str(jsonpickle.encode(state, keys=True))


async def checkpoint(turn_context: TurnContext) -> None:
    """Commits the turn's dialog state now, before the person is told it holds something.

    A flow that keeps what arrived (files) calls this before acknowledging it: if another turn
    wrote the state in between, StateConflictError stops the turn before anything is claimed.
    """
    loaded: _Loaded | None = turn_context.turn_state.get(_TURN_KEY)
    if loaded is not None:
        await loaded.states.save(turn_context)
