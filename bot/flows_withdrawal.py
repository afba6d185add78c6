"""Withdrawal of consent (R9, R11): removal tasks that capture, then remove, each post."""

from __future__ import annotations

from bot.wiring import Flows, Wiring
from dialogs.runner import DialogRunner
from dialogs.services import FlowServices


def build(services: FlowServices, runner: DialogRunner, wiring: Wiring) -> Flows:
    """The verbs, commands and sweeps of this flow."""
    return Flows()
