"""A channel's editors as its manager sees them, and the staffing rule (R3)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cards.editor_changes import (
    EditorLine,
    EditorsView,
)
from cards.i18n import Texts
from dialogs.actor import Actor, decides, row_id
from dialogs.channel_views import person_name
from dialogs.notify import queue_text, texts_for
from dialogs.services import FlowServices
from domain.editors import is_understaffed
from domain.lifecycle import ChannelStatus
from storage.audit import record_event
from storage.channels import EditorStatus, accepted_count, editors_of
from storage.models import ChannelEditorRow, ChannelRow, PersonRow

OPEN_STATUSES = (
    ChannelStatus.APPROVED.value,
    ChannelStatus.EDITORS_READY.value,
    ChannelStatus.ACTIVE.value,
)

LIVE_STATUSES = (ChannelStatus.ACTIVE.value, ChannelStatus.CLOSING.value)

# The directory is asked about an editor's account at most this often (per instance).
DIRECTORY_CHECK_EVERY = timedelta(hours=24)

DIRECTORY_CHECKS_PER_SWEEP = 200


def id_of(data: dict[str, Any], key: str) -> int | None:
    """The row id a card's data names under `key`, or None."""
    return row_id(data.get(key))


def picked(data: dict[str, Any], key: str) -> list[str]:
    """The people a people picker gave under `key` (comma-separated ids)."""
    raw = data.get(key)
    return [p.strip() for p in str(raw or "").split(",") if p.strip()]


class EditorRoster:
    """A channel's editors as its manager and editors see them, and the staffing rule (R3)."""

    def __init__(self, services: FlowServices) -> None:
        self._s = services

    async def _channels(self, session: AsyncSession, person: PersonRow) -> list[ChannelRow]:
        """Channels where the person is an accepted editor or the manager (or a deputy)."""
        editing = select(ChannelEditorRow.channel_id).where(
            ChannelEditorRow.person_id == person.id,
            ChannelEditorRow.status == EditorStatus.ACCEPTED,
        )
        rows = await session.scalars(
            select(ChannelRow)
            .where(ChannelRow.status.in_(OPEN_STATUSES))
            .where(ChannelRow.tenant_id == person.tenant_id)
            .order_by(ChannelRow.name, ChannelRow.id)
        )
        mine = set(await session.scalars(editing))
        return [c for c in rows if c.id in mine or decides(self._s, c, person)]

    async def _channel(
        self, session: AsyncSession, actor: Actor, data: dict[str, Any]
    ) -> ChannelRow | None:
        wanted = id_of(data, "channel_id")
        return next(
            (c for c in await self._channels(session, actor.person) if c.id == wanted), None
        )

    async def _view(self, session: AsyncSession, channel: ChannelRow, texts: Texts) -> EditorsView:
        entries = await editors_of(session, channel.id)
        manager = (
            await session.get(PersonRow, channel.manager_person_id)
            if channel.manager_person_id
            else None
        )
        return EditorsView(
            channel_id=channel.id,
            channel=channel.name,
            editors=tuple(
                EditorLine(e.editor.id, person_name(texts, e.person), e.editor.status)
                for e in entries
                if e.editor.status != EditorStatus.DECLINED
            ),
            min_editors=self._s.policy_for(channel).channels.min_editors,
            address=channel.address or "",
            manager=person_name(texts, manager) if manager else "",
            understaffed=channel.understaffed_since is not None,
        )

    async def _remove(
        self,
        session: AsyncSession,
        channel: ChannelRow,
        editor: ChannelEditorRow,
        person: PersonRow,
        actor: Actor | None,
        now: datetime,
    ) -> None:
        editor.status = EditorStatus.REMOVED
        editor.removed_at = now
        editor.removed_by_person_id = actor.person.id if actor else None
        record_event(
            session,
            at=now,
            action="editor.removed",
            subject_type="channel",
            subject_id=channel.id,
            actor=(actor.person.aad_object_id or "") if actor else "system",
            actor_person_id=actor.person.id if actor else None,
            details={"editor_id": editor.id},
        )
        if person.undeliverable_at is None:
            texts = texts_for(person)
            queue_text(
                session, person, texts("editor_changes.you_were_removed", name=channel.name), now
            )

    async def _invite(self, session: AsyncSession, channel: ChannelRow) -> None:
        from dialogs.approval import ApprovalFlow

        await ApprovalFlow(self._s)._invite_editors(session, channel)

    async def _staffing(self, session: AsyncSession, channel: ChannelRow, now: datetime) -> None:
        """R3: flags the channel under-staffed below the minimum, and clears the flag again."""
        await session.flush()
        accepted = accepted_count(await editors_of(session, channel.id))
        short = is_understaffed(accepted, self._s.policy_for(channel).channels.min_editors)
        if short and channel.understaffed_since is None and channel.status in LIVE_STATUSES:
            channel.understaffed_since = now
            record_event(
                session,
                at=now,
                action="channel.understaffed",
                subject_type="channel",
                subject_id=channel.id,
                details={"accepted": accepted},
            )
        elif not short and channel.understaffed_since is not None:
            channel.understaffed_since = None
            record_event(
                session,
                at=now,
                action="channel.staffed",
                subject_type="channel",
                subject_id=channel.id,
                details={"accepted": accepted},
            )

    async def after_answer(self, session: AsyncSession, channel: ChannelRow) -> None:
        """Called when a nominated editor answers: a replacement's yes clears the flag."""
        await self._staffing(session, channel, self._s.clock.now())
