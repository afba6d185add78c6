"""Every flow's verbs, commands and sweeps in one table, for the edge and the scheduler.

Each flow wires itself in its own module (`build(wiring) -> Flows`); this module only lists them.
A verb, command or sweep wired by two flows stops start-up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from cards.help import help_card
from cards.i18n import commands
from cards.verbs import Verb
from dialogs import (
    admin_overview,
    approval,
    communications,
    deletion,
    editors,
    my_channels,
    new_channel_wiring,
    registration,
    withdrawal_wiring,
)
from dialogs.closing import wiring as closing_wiring
from dialogs.consent import wiring as consent_wiring
from dialogs.dialog_runner import DialogRunner
from dialogs.documentation import wiring as documentation_wiring
from dialogs.editor_changes import wiring as editor_changes_wiring
from dialogs.guard import Request
from dialogs.permissions import NOBODY, Permit, Role
from dialogs.services import FlowServices
from dialogs.verb_data import ChannelRef
from dialogs.wiring import Flows, Wiring

# Commands the edge answers itself (bot/teams/commands.py runs them): anyone who writes.
EDGE_COMMANDS: dict[str, Permit] = {
    "help": Permit(may=NOBODY, anyone=True, summary="the help card"),
    "cancel": Permit(may=NOBODY, anyone=True, summary="ends the running dialog"),
    "language_sv": Permit(may=NOBODY, anyone=True, summary="answers in Swedish"),
    "language_en": Permit(may=NOBODY, anyone=True, summary="answers in English"),
}

__all__ = ["Flows", "build_flows"]

FEATURES: tuple[Callable[[Wiring], Flows], ...] = (
    new_channel_wiring.build,
    approval.build,
    editors.build,
    registration.build,
    my_channels.build,
    communications.build,
    admin_overview.build,
    documentation_wiring.build,
    consent_wiring.build,
    withdrawal_wiring.build,
    deletion.build,
    closing_wiring.build,
    editor_changes_wiring.build,
)


def build_flows(services: FlowServices, csv_url: str, runner: DialogRunner) -> Flows:
    """Builds every flow once, with its services; a verb or catalog command that no flow
    declares stops start-up."""
    wiring = Wiring(services, runner, registry_csv_url=csv_url)

    async def show_help(request: Request[ChannelRef]) -> dict[str, Any]:
        return help_card(request.actor.texts)

    flows = Flows(
        verbs=wiring.verb(
            Verb.SHOW_HELP,
            ChannelRef,
            Permit(may=Role.EMPLOYEE, may_new=Role.EMPLOYEE, summary="the help card"),
            show_help,
        )
    )
    for build in FEATURES:
        flows = flows.merged(build(wiring))
    flows.check_declared(frozenset(c.name for c in commands()) - set(EDGE_COMMANDS))
    return replace(flows, guard=wiring.guard)
