"""Consent before publishing (R9, R10): the consent check, the consent register, post addresses."""

from __future__ import annotations

from bot.wiring import Flows, Wiring
from dialogs.runner import DialogRunner
from dialogs.services import FlowServices


def build(services: FlowServices, runner: DialogRunner, wiring: Wiring) -> Flows:
    """The verbs, commands and sweeps of this flow."""
    return Flows()
