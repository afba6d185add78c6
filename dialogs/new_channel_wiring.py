"""The verbs and the command of asking for a new channel (R2, R3, R5, R6)."""

from __future__ import annotations

from typing import Any

from cards.verbs import Verb
from dialogs.guard import Request
from dialogs.new_channel import NewChannelFlow
from dialogs.permissions import NOBODY, Permit, Role
from dialogs.verb_data import ChannelForm, ChannelRef
from dialogs.wiring import Flows, Wiring, acting


def build(wiring: Wiring) -> Flows:
    """The verbs and commands of this flow (R2, R3, R5, R6)."""
    new_channel = NewChannelFlow(wiring.services)

    async def form(request: Request[ChannelRef]) -> dict[str, Any]:
        return await new_channel.form(request.actor)

    async def status(request: Request[ChannelRef]) -> dict[str, Any] | None:
        return await new_channel.refresh_status(request.actor, request.data.channel_id)

    return Flows(
        verbs={
            **wiring.verb(
                Verb.CHANNEL_NEW,
                ChannelRef,
                Permit(may=Role.EMPLOYEE, may_new=Role.EMPLOYEE, summary="the empty form"),
                form,
            ),
            # R2, R5: anyone of the organisation asks; only the requester sends a request again.
            **wiring.verb(
                Verb.CHANNEL_SUBMIT,
                ChannelForm,
                Permit(
                    may=Role.REQUESTER,
                    may_new=Role.EMPLOYEE,
                    sees=Role.REQUESTER,
                    rules="R2, R3, R5, R6",
                    summary="files a request, or sends a changed one again",
                ),
                acting(new_channel.submit),
            ),
            **wiring.verb(
                Verb.CHANNEL_STATUS,
                ChannelRef,
                Permit(may=Role.REQUESTER, sees=Role.REQUESTER, summary="the live status card"),
                status,
            ),
        },
        commands=wiring.command(
            "new_channel",
            Permit(may=NOBODY, may_new=Role.EMPLOYEE, rules="R2", summary="the request form"),
            lambda _turn, actor: new_channel.form(actor),
        ),
    )
