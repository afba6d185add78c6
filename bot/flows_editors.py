"""Editor changes (R3): add and remove editors, replacements, unreachable editors (R8 notices)."""

from __future__ import annotations

from bot.wiring import Flows, Wiring
from cards.verbs import Verb
from dialogs.dialog_runner import DialogRunner
from dialogs.editor_changes import EditorChangesFlow
from dialogs.services import FlowServices


def build(services: FlowServices, runner: DialogRunner, wiring: Wiring) -> Flows:
    """The verbs, commands and sweeps of this flow."""
    editors = EditorChangesFlow(services)
    return Flows(
        verbs={
            Verb.EDITORS_SHOW: wiring.acting(editors.show),
            Verb.EDITORS_CHANGE: wiring.acting(editors.change),
            Verb.EDITOR_REPLACE: wiring.acting(editors.name_replacement),
            Verb.CHANNEL_UPDATE: wiring.acting(editors.update),
        },
        commands={"editors": wiring.command(lambda _turn, actor: editors.card(actor))},
        sweeps={"editor_reachability": editors.check_reachability},
    )
