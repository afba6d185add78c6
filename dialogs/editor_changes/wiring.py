"""The verbs, the command and the sweep of editor changes (R3, R8)."""

from __future__ import annotations

from cards.verbs import Verb
from dialogs.editor_changes.changes import EditorChangesFlow
from dialogs.editor_changes.facts import ChannelFactsFlow
from dialogs.editor_changes.reachability import EditorReachability
from dialogs.wiring import Flows, Wiring


def build(wiring: Wiring) -> Flows:
    """The verbs, the command and the sweep of this flow."""
    editors = EditorChangesFlow(wiring.services)
    facts = ChannelFactsFlow(wiring.services)
    reachability = EditorReachability(wiring.services)
    return Flows(
        verbs={
            Verb.EDITORS_SHOW: wiring.acting(editors.show),
            Verb.EDITORS_CHANGE: wiring.acting(editors.change),
            Verb.EDITOR_REPLACE: wiring.acting(reachability.name_replacement),
            Verb.CHANNEL_UPDATE: wiring.acting(facts.update),
        },
        commands={"editors": wiring.command(lambda _turn, actor: editors.card(actor))},
        sweeps={"editor_reachability": reachability.check_reachability},
    )
