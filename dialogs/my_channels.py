"""My channels (`mina kanaler`): where I am requester, manager or editor, with status."""

from __future__ import annotations

from typing import Any

from cards.my_channels import my_channels_card
from cards.views import MyChannelRow, MyChannelsView
from dialogs.actor import Actor
from dialogs.channel_views import day
from dialogs.permissions import NOBODY, Permit, Role
from dialogs.services import FlowServices
from dialogs.wiring import Flows, Wiring
from domain.documentation import today_in
from domain.lifecycle import ChannelStatus
from storage.channels import channels_of_person


class MyChannelsFlow:
    """Lists a person's channels."""

    def __init__(self, services: FlowServices) -> None:
        self._s = services

    async def card(self, actor: Actor) -> dict[str, Any]:
        """Builds the card of my channels."""
        texts = actor.texts
        # Today where the person's organisation is (a channel's overdue day is its calendar's).
        policy = actor.organisation.policy if actor.organisation else self._s.policy
        today = today_in(self._s.clock.now(), policy.documentation)
        rows = []
        closed = []
        async with self._s.sessions() as session:
            for channel in await channels_of_person(
                session, actor.person.id, organisation=actor.scope
            ):
                if channel.status == ChannelStatus.CLOSED.value:
                    closed.append(channel.name)
                    continue
                if channel.requester_person_id == actor.person.id:
                    role = texts("roles.requester")
                elif channel.manager_person_id == actor.person.id:
                    role = texts("roles.manager")
                else:
                    role = texts("roles.editor")
                due = channel.next_documentation_due
                live = channel.status == ChannelStatus.ACTIVE.value
                rows.append(
                    MyChannelRow(
                        name=channel.name,
                        platform=texts(f"platform.{channel.platform}"),
                        unit=channel.unit,
                        role=role,
                        status=texts(f"channel_status.{channel.status}"),
                        next_due=day(texts, due) if due is not None and live else None,
                        overdue=live and due is not None and due < today,
                    )
                )
        return my_channels_card(MyChannelsView(rows=tuple(rows), closed=tuple(closed)), texts)


def build(wiring: Wiring) -> Flows:
    """The `mina kanaler` command."""
    my_channels = MyChannelsFlow(wiring.services)
    return Flows(
        commands=wiring.command(
            "my_channels",
            Permit(may=NOBODY, may_new=Role.EMPLOYEE, summary="the person's own channels"),
            lambda _turn, actor: my_channels.card(actor),
        )
    )
