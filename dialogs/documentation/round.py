"""A documentation round (R12): who may document which channel, and the round's completion."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cards.documentation import (
    documentation_reminder_card,
)
from cards.i18n import Texts
from dialogs.actor import channel_from
from dialogs.channel_views import day, person_name, when
from dialogs.documentation.reminder_cards import ReminderCards
from dialogs.documentation.reminders import reminder_dedupe_prefix
from dialogs.notify import queue_package_mail, queue_updates
from dialogs.services import StoredUpload
from domain.dates import add_months
from domain.documentation import (
    next_due,
    today_in,
)
from domain.lifecycle import ChannelStatus
from domain.outbox import OutboxStatus
from storage.audit import record_event
from storage.channels import EditorStatus, editors_of
from storage.models import (
    CardCopyRow,
    ChannelEditorRow,
    ChannelRow,
    DocumentationFileRow,
    DocumentationRoundRow,
    OutboxRow,
    PersonRow,
)
from storage.organisations import in_scope


class DocumentationRound(ReminderCards):
    """Who may document what, and the completion of a round."""

    async def to_document(
        self, person_id: int, *, organisation: str | None = None
    ) -> list[ChannelRow]:
        """R12: the active channels the person edits in their organisation, the one due
        soonest first."""
        async with self._s.sessions() as session:
            rows = await session.scalars(
                in_scope(select(ChannelRow), organisation=organisation)
                .join(ChannelEditorRow, ChannelEditorRow.channel_id == ChannelRow.id)
                .where(ChannelEditorRow.person_id == person_id)
                .where(ChannelEditorRow.status == EditorStatus.ACCEPTED)
                .where(ChannelRow.status == ChannelStatus.ACTIVE.value)
                .where(ChannelRow.next_documentation_due.is_not(None))
                .order_by(ChannelRow.next_documentation_due, ChannelRow.id)
            )
            return list(rows)

    async def may_document(
        self, person_id: int | None, data: dict[str, Any], *, organisation: str | None = None
    ) -> tuple[ChannelRow | None, str | None]:
        """The channel to document (of the person's organisation), or the catalog key saying
        why not."""
        async with self._s.sessions() as session:
            channel = await channel_from(
                session, data.get("channel_id"), organisation=organisation
            )
            if channel is None:
                return None, "flow.unknown_channel"
            editors = {
                e.person.id
                for e in await editors_of(session, channel.id)
                if e.editor.status == EditorStatus.ACCEPTED
            }
        if person_id not in editors:
            return None, "documentation.not_editor"
        due = channel.next_documentation_due
        if (
            channel.status != ChannelStatus.ACTIVE.value
            or due is None
            or str(data.get("due")) != due.isoformat()
        ):
            return None, "documentation.not_due"
        return channel, None

    async def complete(
        self,
        person_id: int,
        texts: Texts,
        channel_id: int,
        due_iso: str,
        files: list[StoredUpload],
        start_index: int,
        note: str | None,
        *,
        organisation: str | None = None,
    ) -> str:
        """Records the round, sends the package, sets the next due date; returns the reply.

        `organisation` is the person's: a channel of another organisation is not found."""
        now = self._s.clock.now()
        records = self._s.records
        assert records is not None
        async with self._s.sessions() as session:
            channel = await channel_from(session, channel_id, organisation=organisation)
            person = await session.get(PersonRow, person_id)
        if (
            channel is None
            or person is None
            or channel.next_documentation_due is None
            or channel.next_documentation_due.isoformat() != due_iso
        ):
            return texts("documentation.not_due")
        due = channel.next_documentation_due
        policy = self._s.policy_for(channel)  # its administration's mailbox and interval
        sv = Texts("sv")
        # The package is built before the transaction: no file work while rows are locked.
        package_name = sv(
            "documentation.package_filename",
            name=channel.name,
            date=today_in(now, policy.documentation).isoformat(),
        )
        key, sha256 = await records.package(
            filename=package_name,
            channel_name=channel.name,
            platform=sv(f"platform.{channel.platform}"),
            unit=channel.unit,
            due=due,
            completed_by=person_name(sv, person),
            completed_at=now,
            note=note,
            files=files,
            start_page=files[start_index].filename if files else None,
            # Issue 27: the SIP's descriptive facts and the administration's records keys.
            address=channel.address,
            period_start=add_months(due, -policy.channels.documentation_interval_months),
            administration=policy.registry.administration,
            records=policy.records,
        )
        today = today_in(now, policy.documentation)
        following = next_due(today, policy.channels.documentation_interval_months)
        async with self._s.sessions.begin() as session:
            # Compare-and-set on the due date: two editors finishing at once record one round.
            moved = await session.execute(
                update(ChannelRow)
                .where(ChannelRow.id == channel.id)
                .where(ChannelRow.next_documentation_due == due)
                .values(next_documentation_due=following, updated_at=now)
                .execution_options(synchronize_session=False)
            )
            if not moved.rowcount:  # type: ignore[attr-defined]
                return texts("documentation.not_due")
            round_ = DocumentationRoundRow(
                channel_id=channel.id,
                due_date=due,
                completed_by_person_id=person.id,
                completed_at=now,
                note=note,
                package_file_key=key,
                package_sha256=sha256,
            )
            session.add(round_)
            await session.flush()
            for index, upload in enumerate(files):
                session.add(
                    DocumentationFileRow(
                        round_id=round_.id,
                        file_key=upload.key,
                        filename=upload.filename,
                        content_type=upload.content_type,
                        size=upload.size,
                        sha256=upload.sha256,
                        start_page=index == start_index,
                    )
                )
            record_event(
                session,
                at=now,
                action="documentation.completed",
                subject_type="channel",
                subject_id=channel.id,
                actor=person.aad_object_id or "",
                actor_person_id=person.id,
                details={
                    "due": due.isoformat(),
                    "files": [asdict(f) for f in files],
                    "package_sha256": sha256,
                    "next_due": following.isoformat(),
                },
            )
            await self._cancel_reminders(session, channel.id, due)
            await self._mark_done(session, channel, due, person, now)
            queue_package_mail(
                session,
                mailbox=policy.documentation.records_mailbox,
                texts_prefix="documentation",
                channel=channel,
                person=person,
                key=key,
                filename=package_name,
                now=now,
                sha256=sha256,
                records=policy.records,
            )
        self._s.wake_delivery()
        return texts("documentation.completed", name=channel.name, due=day(texts, following))

    async def _cancel_reminders(self, session: AsyncSession, channel_id: int, due: date) -> None:
        """Later reminders of a completed round are not sent."""
        await session.execute(
            update(OutboxRow)
            .where(OutboxRow.status == OutboxStatus.PENDING.value)
            .where(OutboxRow.dedupe_key.startswith(reminder_dedupe_prefix(channel_id, due)))
            .values(status=OutboxStatus.CANCELLED.value)
            .execution_options(synchronize_session=False)
        )

    async def _mark_done(
        self, session: AsyncSession, channel: ChannelRow, due: date, person: PersonRow, now: Any
    ) -> None:
        """Every editor's reminder card shows "done by ... on ..."."""

        async def build(copy: CardCopyRow) -> dict[str, Any] | None:
            if copy.card != "doc_reminder":
                return None
            viewer = await session.get(PersonRow, copy.person_id) if copy.person_id else None
            texts = Texts.for_locale(viewer.locale if viewer else None)
            done = texts(
                "documentation.done", who=person_name(texts, person), when=when(texts, now)
            )
            return documentation_reminder_card(self._view(channel, due, texts, done=done), texts)

        await queue_updates(session, "channel", channel.id, build, now)
