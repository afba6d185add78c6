"""Editors Teams or the directory cannot reach (R3): the manager names a replacement."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cards.editor_changes import (
    ReplaceView,
    replace_card,
)
from dialogs.actor import Actor, decides, known_person, nominate_editor, record_by
from dialogs.channel_views import person_name
from dialogs.editor_changes.roster import (
    DIRECTORY_CHECK_EVERY,
    DIRECTORY_CHECKS_PER_SWEEP,
    LIVE_STATUSES,
    EditorRoster,
    id_of,
    picked,
)
from dialogs.notify import queue_card, texts_for
from dialogs.services import FlowServices, NoDirectory
from storage.audit import record_event
from storage.channels import EditorStatus
from storage.models import ChannelEditorRow, ChannelRow, PersonRow


class EditorReachability(EditorRoster):
    """Finds editors who cannot be reached any more and carries their replacement (R3, R8)."""

    def __init__(self, services: FlowServices) -> None:
        super().__init__(services)
        self._checked: dict[int, datetime] = {}
        self._cursor = 0

    async def unreachable(
        self, session: AsyncSession, person_id: int, now: datetime, reason: str = "undeliverable"
    ) -> int:
        """R3: the manager of each live channel the person edits is asked for a replacement."""
        person = await session.get(PersonRow, person_id)
        if person is None:
            return 0
        rows = await session.execute(
            select(ChannelEditorRow, ChannelRow)
            .join(ChannelRow, ChannelRow.id == ChannelEditorRow.channel_id)
            .where(ChannelEditorRow.person_id == person_id)
            .where(ChannelEditorRow.status == EditorStatus.ACCEPTED)
            .where(ChannelRow.status.in_(LIVE_STATUSES))
        )
        asked = 0
        for editor, channel in rows:
            manager = (
                await session.get(PersonRow, channel.manager_person_id)
                if channel.manager_person_id
                else None
            )
            if manager is None or manager.id == person_id:
                continue
            texts = texts_for(manager)
            view = ReplaceView(
                channel_id=channel.id,
                editor_id=editor.id,
                channel=channel.name,
                editor=person_name(texts, person),
                reason=texts(f"editor_changes.reason_{reason}"),
            )
            if await queue_card(
                session,
                manager,
                replace_card(view, texts),
                now,
                track=("editor", editor.id, "replace"),
                dedupe_key=f"editor-unreachable:{channel.id}:{editor.id}",
            ):
                record_event(
                    session,
                    at=now,
                    action="editor.unreachable",
                    subject_type="channel",
                    subject_id=channel.id,
                    details={"editor_id": editor.id, "reason": reason},
                )
                asked += 1
        return asked

    async def name_replacement(self, actor: Actor, data: dict[str, Any]) -> dict[str, Any] | None:
        """The manager names a replacement: invited by card, the unreachable editor removed."""
        texts = actor.texts
        now = self._s.clock.now()
        async with self._s.sessions.begin() as session:
            editor = await session.get(ChannelEditorRow, id_of(data, "editor_id") or -1)
            channel = await session.get(ChannelRow, editor.channel_id) if editor else None
            if editor is None or channel is None or str(channel.id) != str(data.get("channel_id")):
                return None
            person = await session.get(PersonRow, editor.person_id)
            assert person is not None
            view = ReplaceView(
                channel_id=channel.id,
                editor_id=editor.id,
                channel=channel.name,
                editor=person_name(texts, person),
                reason=texts("editor_changes.reason_undeliverable"),
            )
            if not decides(self._s, channel, actor.person):
                return replace_card(
                    replace(view, error=texts("editor_changes.only_manager")), texts
                )
            if editor.status != EditorStatus.ACCEPTED:
                return replace_card(
                    replace(view, done=texts("editor_changes.already_replaced")), texts
                )
            chosen = picked(data, "replacement")[:1]
            if not chosen or chosen[0] == person.aad_object_id:
                return replace_card(replace(view, error=texts("editor_changes.pick")), texts)
            await self._remove(session, channel, editor, person, actor, now)
            new = await known_person(session, self._s.directory, channel.tenant_id, chosen[0], now)
            nomination = await nominate_editor(session, channel, new, actor, now)
            nomination.replaces_editor_id = editor.id
            record_by(
                session,
                actor,
                at=now,
                action="editor.added",
                subject_type="channel",
                subject_id=channel.id,
                details={"editor_id": nomination.id, "replaces": editor.id},
            )
            await self._staffing(session, channel, now)
            await self._invite(session, channel)
            done = texts("editor_changes.replacement_invited", name=person_name(texts, new))
            result = replace_card(replace(view, done=done), texts)
        self._s.wake_delivery()
        return result

    async def check_reachability(self, session: AsyncSession) -> int:
        """Safety net for the delivery hook (editors marked undeliverable in the last day), and
        accounts the directory reports disabled: a slice of the editors per sweep, each asked
        about at most once a day per instance."""
        now = self._s.clock.now()
        live_editors = (
            select(ChannelEditorRow.person_id)
            .join(ChannelRow, ChannelRow.id == ChannelEditorRow.channel_id)
            .where(ChannelEditorRow.status == EditorStatus.ACCEPTED)
            .where(ChannelRow.status.in_(LIVE_STATUSES))
        )
        # The few people marked lately first (ix_people_undeliverable), then which are editors.
        recent = list(
            await session.scalars(
                select(PersonRow.id).where(PersonRow.undeliverable_at >= now - timedelta(days=1))
            )
        )
        asked = 0
        if recent:
            for person_id in list(
                await session.scalars(
                    live_editors.where(ChannelEditorRow.person_id.in_(recent)).distinct()
                )
            ):
                asked += await self.unreachable(session, person_id, now)
        if isinstance(self._s.directory, NoDirectory):
            return asked
        batch = list(
            await session.scalars(
                select(PersonRow)
                .where(PersonRow.id.in_(live_editors))
                .where(PersonRow.id > self._cursor)
                .where(PersonRow.undeliverable_at.is_(None))
                .where(PersonRow.aad_object_id.is_not(None))
                .order_by(PersonRow.id)
                .limit(DIRECTORY_CHECKS_PER_SWEEP)
            )
        )
        # Keyset paging round the editors; back to the start after the last slice.
        self._cursor = batch[-1].id if len(batch) == DIRECTORY_CHECKS_PER_SWEEP else 0
        for person in batch:
            last = self._checked.get(person.id)
            if last is not None and now - last < DIRECTORY_CHECK_EVERY:
                continue
            self._checked[person.id] = now
            assert person.aad_object_id is not None
            found = await self._s.directory.person(person.tenant_id, person.aad_object_id)
            if found is not None and not found.enabled:
                asked += await self.unreachable(session, person.id, now, reason="disabled")
        return asked
