"""The verbs, the command and the sweep of closing a channel (R13)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from cards.verbs import Verb
from dialogs.closing.confirmation import ClosingConfirmation
from dialogs.closing.files_dialog import DIALOG_ID, ClosingFilesDialog
from dialogs.closing.steps import ClosingFlow
from dialogs.guard import Request
from dialogs.permissions import DECIDERS, NOBODY, Permit, Role
from dialogs.verb_data import ClosingData
from dialogs.wiring import Flows, Wiring, acting


def build(wiring: Wiring) -> Flows:
    """The verbs, the command and the sweep of this flow."""
    closing = ClosingFlow(wiring.services)
    confirmation = ClosingConfirmation(wiring.services)
    wiring.runner.add(DIALOG_ID, ClosingFilesDialog(wiring.services))

    def collecting(purpose: str) -> Callable[[Request[ClosingData]], Awaitable[str]]:
        """A button that starts taking files in this chat; the card stays as it is."""

        async def run(request: Request[ClosingData]) -> str:
            actor = request.actor
            closing_id, key = await closing.may_collect(actor, request.data)
            if closing_id is not None:
                options = {
                    "person_id": actor.person.id,
                    "subject_id": closing_id,
                    "purpose": purpose,
                }
                request.then(lambda: wiring.runner.begin(request.turn_context, DIALOG_ID, options))
            return actor.texts(key)

        return run

    # R13: the channel's editors and its manager (or a deputy) close it.
    step = Permit(
        may=Role.EDITOR | DECIDERS,
        sees=Role.EDITOR | DECIDERS,
        rules="R13",
        summary="a step of the closing checklist",
    )
    return Flows(
        verbs={
            **wiring.verb(Verb.CLOSING_START, ClosingData, step, acting(closing.start)),
            **wiring.verb(Verb.CLOSING_EXPORT, ClosingData, step, collecting("export")),
            **wiring.verb(Verb.CLOSING_SCREENSHOTS, ClosingData, step, collecting("screenshot")),
            **wiring.verb(Verb.CLOSING_SUBMIT, ClosingData, step, acting(closing.submit)),
            # R13, R8: the manager confirms; the registry gets the closing notice.
            **wiring.verb(
                Verb.CLOSING_CONFIRM,
                ClosingData,
                Permit(
                    may=DECIDERS,
                    sees=DECIDERS,
                    rules="R8, R13",
                    summary="confirms the closing; the registry is notified",
                ),
                acting(confirmation.confirm),
            ),
            **wiring.verb(Verb.CLOSING_CANCEL, ClosingData, step, acting(closing.cancel)),
        },
        commands=wiring.command(
            "close_channel",
            Permit(may=NOBODY, may_new=Role.EMPLOYEE, rules="R13", summary="picks a channel"),
            lambda _turn, actor: closing.pick(actor),
        ),
        sweeps={"closing_reminders": confirmation.remind},
    )
