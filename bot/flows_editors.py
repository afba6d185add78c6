"""Editor changes (R3): add and remove editors, replacements, unreachable editors (R8 notices)."""

from __future__ import annotations

from bot.wiring import Flows, Wiring
from dialogs.runner import DialogRunner
from dialogs.services import FlowServices


def build(services: FlowServices, runner: DialogRunner, wiring: Wiring) -> Flows:
    """The verbs, commands and sweeps of this flow."""
    return Flows()
