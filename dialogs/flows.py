"""Every flow's verbs, commands and sweeps in one table, for the edge and the scheduler.

Each flow wires itself in its own module (`build(wiring) -> Flows`); this module only lists them.
A verb, command or sweep wired by two flows stops start-up.
"""

from __future__ import annotations

from collections.abc import Callable

from cards.help import help_card
from cards.verbs import Verb
from dialogs import (
    admin_overview,
    approval,
    communications,
    deletion,
    editors,
    my_channels,
    new_channel,
    registration,
    withdrawal,
)
from dialogs.closing import wiring as closing_wiring
from dialogs.consent import wiring as consent_wiring
from dialogs.dialog_runner import DialogRunner
from dialogs.documentation import wiring as documentation_wiring
from dialogs.editor_changes import wiring as editor_changes_wiring
from dialogs.services import FlowServices
from dialogs.wiring import ActionContext, ActionResult, Flows, Wiring

__all__ = ["Flows", "build_flows"]

FEATURES: tuple[Callable[[Wiring], Flows], ...] = (
    new_channel.build,
    approval.build,
    editors.build,
    registration.build,
    my_channels.build,
    communications.build,
    admin_overview.build,
    documentation_wiring.build,
    consent_wiring.build,
    withdrawal.build,
    deletion.build,
    closing_wiring.build,
    editor_changes_wiring.build,
)


def build_flows(services: FlowServices, csv_url: str, runner: DialogRunner) -> Flows:
    """Builds every flow once, with its services."""
    wiring = Wiring(services, runner, registry_csv_url=csv_url)

    async def show_help(ctx: ActionContext) -> ActionResult:
        return ActionResult(card=help_card(ctx.texts))

    flows = Flows(verbs={Verb.SHOW_HELP: show_help})
    for build in FEATURES:
        flows = flows.merged(build(wiring))
    # Isolation: no verb runs on card data naming another organisation's channel.
    return Flows(
        verbs={verb: wiring.scoped(handler) for verb, handler in flows.verbs.items()},
        commands=flows.commands,
        sweeps=flows.sweeps,
    )
