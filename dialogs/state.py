"""Dialog stacks per person and conversation: read once a turn, written once at its end, with
an eTag.

Ours rather than the SDK's `ConversationState`: that one keeps the loaded state on the
instance (shared by every concurrent turn of the process) and writes without an eTag, so two
turns of one conversation would overwrite each other silently. Here each turn holds its own
copy in `turn_state`, and the write is conditional on the eTag it was read with
(`StateConflictError` otherwise).

The key holds the sender, as the SDK's private conversation state does: in a group chat or a
team channel two people never answer each other's dialog, and nobody writing into someone
else's conversation can continue theirs (issue 15). A personal chat's state kept under the
conversation alone (before this) is taken over by its first turn, then deleted.
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
    # The conversation-only key of an older version whose state this turn took over.
    legacy: str | None = None


def conversation_key(turn_context: TurnContext) -> str:
    """A conversation's key: channel / "conversations" / conversation id (the older key)."""
    activity = turn_context.activity
    return f"{activity.channel_id}/conversations/{activity.conversation.id}"


def state_key(turn_context: TurnContext) -> str:
    """The storage key of one person's dialogs in a conversation: the conversation's key,
    "users" and the sender's Teams id."""
    sender = turn_context.activity.from_property
    return f"{conversation_key(turn_context)}/users/{sender.id if sender else ''}"


def _personal(turn_context: TurnContext) -> bool:
    conversation = turn_context.activity.conversation
    return conversation is not None and conversation.conversation_type in (None, "personal")


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
        legacy = conversation_key(turn_context) if _personal(turn_context) else None
        items = await self._storage.read([key, legacy] if legacy else [key])
        item = items.get(key)
        etag = None
        state = None
        if isinstance(item, dict):
            etag = item.get("e_tag")
            state = item.get(PROPERTY)
            legacy = None
        elif legacy is not None and isinstance(items.get(legacy), dict):
            # Only one person writes in a personal chat: its older state is theirs.
            state = items[legacy].get(PROPERTY)
        else:
            legacy = None
        if state is not None and not isinstance(state, DialogState):
            # Written by an older version of the bot (another SDK): its flow cannot continue.
            log.info("dropped a dialog state of an older version for %s", key)
            state = None
        state = state or DialogState()
        loaded = _Loaded(self, key, etag, state, _encode(state), legacy)
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
        if snapshot == loaded.snapshot and loaded.legacy is None:
            return
        item: dict[str, Any] = {PROPERTY: loaded.state, "e_tag": loaded.etag}
        await self._storage.write({loaded.key: item})
        loaded.etag = item["e_tag"]
        loaded.snapshot = snapshot
        if loaded.legacy is not None:
            await self._storage.delete([loaded.legacy])
            loaded.legacy = None


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
