"""The verbs, the command and the sweep of editor changes (R3, R8)."""

from __future__ import annotations

from cards.verbs import Verb
from dialogs.editor_changes.changes import EditorChangesFlow
from dialogs.editor_changes.facts import ChannelFactsFlow
from dialogs.editor_changes.reachability import EditorReachability
from dialogs.permissions import ADMINS, DECIDERS, NOBODY, Permit, Role
from dialogs.verb_data import ChannelRef, ReplacementData
from dialogs.wiring import Flows, Wiring, acting


def build(wiring: Wiring) -> Flows:
    """The verbs, the command and the sweep of this flow."""
    editors = EditorChangesFlow(wiring.services)
    facts = ChannelFactsFlow(wiring.services)
    reachability = EditorReachability(wiring.services)
    # R3: the channel's editors and its manager (or a deputy) change who edits it.
    roster = Permit(
        may=Role.EDITOR | DECIDERS,
        sees=Role.EDITOR | DECIDERS,
        rules="R3",
        summary="the channel's editors, and changes to them",
    )
    return Flows(
        verbs={
            **wiring.verb(Verb.EDITORS_SHOW, ChannelRef, roster, acting(editors.show)),
            **wiring.verb(Verb.EDITORS_CHANGE, ChannelRef, roster, acting(editors.change)),
            **wiring.verb(
                Verb.EDITOR_REPLACE,
                ReplacementData,
                Permit(
                    may=DECIDERS,
                    sees=DECIDERS,
                    rules="R3",
                    summary="names a replacement for an unreachable editor",
                ),
                acting(reachability.name_replacement),
            ),
            # R8: a new address or (deciders and admins) a new responsible manager.
            **wiring.verb(
                Verb.CHANNEL_UPDATE,
                ChannelRef,
                Permit(
                    may=Role.EDITOR | DECIDERS | ADMINS,
                    sees=Role.EDITOR | DECIDERS | ADMINS,
                    rules="R2, R8",
                    summary="changes the address or hands the channel over",
                ),
                acting(facts.update),
            ),
        },
        commands=wiring.command(
            "editors",
            Permit(may=NOBODY, may_new=Role.EMPLOYEE, rules="R3", summary="picks a channel"),
            lambda _turn, actor: editors.card(actor),
        ),
        sweeps={"editor_reachability": reachability.check_reachability},
    )
