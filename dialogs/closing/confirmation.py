"""The manager's confirmation of a closing (R13) and the closing notice to the registry (R8)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cards.i18n import Texts
from cards.records import closing_card
from dialogs.actor import Actor, decides, record_by
from dialogs.channel_views import person_name
from dialogs.closing.checklist import ClosingChecklist, id_of
from dialogs.notify import queue_email, queue_text, texts_for
from domain.lifecycle import ChannelStatus
from domain.outbox import OutboxStatus
from storage.channels import EditorStatus, change_status, editors_of
from storage.consents import open_removal_tasks
from storage.models import ChannelClosingRow, ChannelRow, OutboxRow, PersonRow
from storage.organisations import channel_ids_within


class ClosingConfirmation(ClosingChecklist):
    """The manager confirms a submitted closing; reminded once when it waits."""

    async def confirm(self, actor: Actor, data: dict[str, Any]) -> dict[str, Any] | None:
        """The manager confirms (R13): closing notice to the registry (R8), channel closed."""
        texts = actor.texts
        now = self._s.clock.now()
        async with self._s.sessions.begin() as session:
            closing_id = id_of(data, "closing_id")
            closing = await session.get(ChannelClosingRow, closing_id) if closing_id else None
            channel = await session.get(ChannelRow, closing.channel_id) if closing else None
            if closing is None or channel is None:
                return None
            view = await self._view(session, closing, texts)
            if not decides(self._s, channel, actor.person):
                return closing_card(replace(view, notice=texts("closing.only_manager")), texts)
            if closing.status != "submitted":
                return closing_card(replace(view, notice=texts("closing.not_submitted")), texts)
            if tasks := await open_removal_tasks(session, channel.id):
                notice = texts("closing.removal_tasks_open", count=tasks)
                return closing_card(replace(view, notice=notice), texts)
            if not await change_status(session, channel, ChannelStatus.CLOSED, now, closed_at=now):
                return closing_card(replace(view, notice=texts("closing.changed")), texts)
            closing.status = "confirmed"
            closing.confirmed_by_person_id = actor.person.id
            closing.confirmed_at = now
            await self._notice(session, channel, now)
            # Reminders stop: nothing pending about the channel's documentation is sent.
            await session.execute(
                update(OutboxRow)
                .where(OutboxRow.status == OutboxStatus.PENDING.value)
                .where(OutboxRow.dedupe_key.startswith(f"doc-reminder:{channel.id}:"))
                .values(status=OutboxStatus.CANCELLED.value)
                .execution_options(synchronize_session=False)
            )
            record_by(
                session,
                actor,
                at=now,
                action="channel.closed",
                subject_type="channel",
                subject_id=channel.id,
                details={"closing_id": closing.id, "package_sha256": closing.package_sha256},
            )
            await session.flush()
            await self._tell_editors(session, channel, now)
            await self._update_copies(session, closing, actor.activity_id)
            result = closing_card(await self._view(session, closing, texts), texts)
        self._s.wake_delivery()
        return result

    async def _notice(self, session: AsyncSession, channel: ChannelRow, now: datetime) -> None:
        """R8, R13: the closing notice to the registry mailbox, in Swedish."""
        sv = Texts("sv")
        manager = (
            await session.get(PersonRow, channel.manager_person_id)
            if channel.manager_person_id
            else None
        )
        values = dict(
            name=channel.name,
            platform=sv(f"platform.{channel.platform}"),
            address=channel.address or "–",
            unit=channel.unit,
            manager=person_name(sv, manager),
            closed=now.date().isoformat(),
        )
        queue_email(
            session,
            to=self._s.policy_for(channel).registry.mailbox,
            subject=sv("closing.notice_subject", **values),
            body=sv("closing.notice_body", **values),
            now=now,
            dedupe_key=f"closing-notice:{channel.id}",
        )

    async def _tell_editors(
        self, session: AsyncSession, channel: ChannelRow, now: datetime
    ) -> None:
        for entry in await editors_of(session, channel.id):
            if entry.editor.status == EditorStatus.ACCEPTED:
                texts = texts_for(entry.person)
                queue_text(session, entry.person, texts("closing.closed", name=channel.name), now)

    async def remind(self, session: AsyncSession) -> int:
        """R13: the manager is reminded once when a submitted closing waits for confirmation
        longer than its administration's records plan says."""
        now = self._s.clock.now()
        waiting: list[ChannelClosingRow] = []
        # Each administration's records plan says how long; one query per group sharing it.
        for days, scopes in self._s.groups(lambda p: p.records.closing_reminder_days):
            statement = (
                select(ChannelClosingRow)
                .where(ChannelClosingRow.status == "submitted")
                .where(ChannelClosingRow.submitted_at <= now - timedelta(days=days))
                .limit(500)
            )
            if scopes is not None:
                statement = statement.where(
                    ChannelClosingRow.channel_id.in_(channel_ids_within(scopes))
                )
            waiting.extend(await session.scalars(statement))
        count = 0
        for closing in waiting:
            if closing.details.get("reminded"):
                continue
            channel = await session.get(ChannelRow, closing.channel_id)
            if channel is None:
                continue
            closing.details = {**closing.details, "reminded": now.isoformat()}
            await self._ask_manager(session, channel, closing, now, reminder=True)
            count += 1
        return count
