"""The closing checklist (R13): its view, its live copies, who may see it, the manager's card."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cards.i18n import Texts
from cards.records import ClosingView, closing_card
from dialogs.actor import Actor, decides, row_id
from dialogs.channel_views import person_name, when
from dialogs.notify import queue_card, queue_updates, texts_for
from dialogs.services import FlowServices
from domain.documentation import next_office_time
from domain.lifecycle import ChannelStatus
from storage.channels import add_card_copy
from storage.consents import visible_channels
from storage.evidence import evidence_of
from storage.models import CardCopyRow, ChannelClosingRow, ChannelRow, PersonRow


def id_of(data: dict[str, Any], key: str) -> int | None:
    """The row id a card's data names under `key`, or None."""
    return row_id(data.get(key))


async def live_channels(session: AsyncSession, actor: Actor) -> list[ChannelRow]:
    """Active (or closing) channels where the person is an accepted editor or the manager."""
    return [
        c
        for c in await visible_channels(session, actor.person.id, organisation=actor.scope)
        if c.status in (ChannelStatus.ACTIVE.value, ChannelStatus.CLOSING.value)
    ]


class ClosingChecklist:
    """What every closing step shares: the checklist card and the copies that show it."""

    def __init__(self, services: FlowServices) -> None:
        self._s = services

    async def _open_closing(
        self, session: AsyncSession, channel_id: int
    ) -> ChannelClosingRow | None:
        return await session.scalar(
            select(ChannelClosingRow)
            .where(ChannelClosingRow.channel_id == channel_id)
            .where(ChannelClosingRow.status.in_(["open", "submitted"]))
            .order_by(ChannelClosingRow.id.desc())
        )

    async def _keep_copy(
        self,
        session: AsyncSession,
        closing: ChannelClosingRow,
        actor: Actor,
        activity_id: str | None,
    ) -> None:
        """The checklist a person sees is kept live: a later decision updates it (R13)."""
        if not (actor.conversation_id and activity_id):
            return
        await add_card_copy(
            session,
            subject_type="closing",
            subject_id=closing.id,
            card="checklist",
            conversation_id=actor.conversation_id,
            activity_id=activity_id,
            person_id=actor.person.id,
            locale=actor.person.locale,
            now=self._s.clock.now(),
        )

    async def posted(self, actor: Actor, closing_id: int, activity_id: str | None) -> None:
        """Remembers a checklist the chat posted (after files arrived) as a live copy."""
        async with self._s.sessions.begin() as session:
            closing = await session.get(ChannelClosingRow, closing_id)
            if closing is not None:
                await self._keep_copy(session, closing, actor, activity_id)

    async def _view(
        self,
        session: AsyncSession,
        closing: ChannelClosingRow,
        texts: Texts,
        *,
        for_manager: bool = False,
    ) -> ClosingView:
        channel = await session.get(ChannelRow, closing.channel_id)
        assert channel is not None
        exports = await evidence_of(session, "closing", closing.id, "export")
        shots = await evidence_of(session, "closing", closing.id, "screenshot")
        export = ", ".join(f.filename for f in exports) or closing.export_reference
        submitted = None
        if closing.submitted_at is not None:
            who = await session.get(PersonRow, closing.submitted_by_person_id or -1)
            submitted = texts(
                "closing.submitted",
                who=person_name(texts, who),
                when=when(texts, closing.submitted_at),
            )
        done = None
        if closing.status == "confirmed" and closing.confirmed_at is not None:
            who = await session.get(PersonRow, closing.confirmed_by_person_id or -1)
            done = texts(
                "closing.done", who=person_name(texts, who), when=when(texts, closing.confirmed_at)
            )
        elif closing.status == "cancelled":
            done = texts("closing.cancelled")
        return ClosingView(
            closing_id=closing.id,
            channel=channel.name,
            platform=texts(f"platform.{channel.platform}"),
            address=channel.address or "",
            status=closing.status,
            export=export,
            screenshots=tuple(f.filename for f in shots),
            records_mailbox=self._s.policy_for(channel).documentation.records_mailbox,
            submitted=submitted,
            for_manager=for_manager and closing.status == "submitted",
            done=done,
        )

    async def _closing(
        self, session: AsyncSession, actor: Actor, data: dict[str, Any]
    ) -> ChannelClosingRow | None:
        closing_id = id_of(data, "closing_id")
        closing = await session.get(ChannelClosingRow, closing_id) if closing_id else None
        if closing is None:
            return None
        # Editors and the manager, whatever the channel's status: a closed channel's
        # checklist still answers (with what happened), it does not say "not allowed".
        mine = {
            c.id
            for c in await visible_channels(session, actor.person.id, organisation=actor.scope)
        }
        channel = await session.get(ChannelRow, closing.channel_id)
        allowed = closing.channel_id in mine or (
            channel is not None and decides(self._s, channel, actor.person)
        )
        return closing if allowed else None

    async def _update_copies(
        self, session: AsyncSession, closing: ChannelClosingRow, except_activity: str | None
    ) -> None:
        async def build(copy: CardCopyRow) -> dict[str, Any]:
            # The manager's confirmation card and the editors' checklists stay what they were.
            person = await session.get(PersonRow, copy.person_id) if copy.person_id else None
            texts = texts_for(person) if person is not None else Texts.for_locale(copy.locale)
            for_manager = copy.card == "confirm"
            view = await self._view(session, closing, texts, for_manager=for_manager)
            return closing_card(view, texts)

        await queue_updates(
            session,
            "closing",
            closing.id,
            build,
            self._s.clock.now(),
            except_activity=except_activity,
        )

    async def _ask_manager(
        self,
        session: AsyncSession,
        channel: ChannelRow,
        closing: ChannelClosingRow,
        now: datetime,
        *,
        reminder: bool = False,
    ) -> None:
        manager = (
            await session.get(PersonRow, channel.manager_person_id)
            if channel.manager_person_id
            else None
        )
        if manager is None:
            return
        texts = texts_for(manager)
        view = await self._view(session, closing, texts, for_manager=True)
        if reminder:
            view = replace(view, notice=texts("closing.reminder"))
        await queue_card(
            session,
            manager,
            closing_card(view, texts),
            now,
            track=("closing", closing.id, "confirm"),
            dedupe_key=f"closing-confirm:{closing.id}:{'reminder' if reminder else 'first'}",
            due_at=next_office_time(now, self._s.policy_for(channel).documentation)
            if reminder
            else None,
        )
