"""Runs the flow dialogs: begins one per command, continues the active one, cancels."""

from __future__ import annotations

from collections.abc import Mapping

from microsoft_agents.hosting.core import TurnContext
from microsoft_agents.hosting.dialogs import Dialog, DialogSet, DialogTurnStatus

from dialogs.state import DialogStates


class DialogRunner:
    """One DialogSet per turn over the flows, keyed by the command that starts each."""

    def __init__(self, state: DialogStates, flows: Mapping[str, Dialog]) -> None:
        self._dialogs = DialogSet(state)
        self._flows = dict(flows)
        self._internal: set[str] = set()
        for dialog in self._flows.values():
            self._dialogs.add(dialog)

    def add(self, name: str, dialog: Dialog) -> None:
        """Adds a flow that a card or a command begins (not a typed flow name)."""
        self._flows[name] = dialog
        self._dialogs.add(dialog)
        self._internal.add(name)

    def match(self, text: str) -> str | None:
        """Returns the flow named by a typed text when no catalog command matched."""
        normalised = " ".join(text.casefold().split())
        if normalised in self._flows and normalised not in self._internal:
            return normalised
        return None

    def starts(self, command: str | None) -> bool:
        """Tells whether a command begins a flow."""
        return command is not None and command in self._flows

    async def begin(self, turn_context: TurnContext, command: str, options: object = None) -> None:
        """Cancels whatever runs and begins the flow for a command."""
        context = await self._dialogs.create_context(turn_context)
        await context.cancel_all_dialogs()
        await context.begin_dialog(self._flows[command].id, options)

    async def continue_active(self, turn_context: TurnContext) -> bool:
        """Continues the active flow with this turn; False when no flow is active."""
        context = await self._dialogs.create_context(turn_context)
        if context.active_dialog is None:
            return False
        result = await context.continue_dialog()
        return result.status != DialogTurnStatus.Empty

    async def cancel(self, turn_context: TurnContext) -> bool:
        """Ends every active flow; tells whether there was one."""
        context = await self._dialogs.create_context(turn_context)
        if context.active_dialog is None:
            return False
        await context.cancel_all_dialogs()
        return True
