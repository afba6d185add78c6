"""The editors' steps of a closing (R13): start, the export and screenshots, submit, cancel."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from cards.common import note_card
from cards.consent import Option
from cards.i18n import Texts
from cards.records import closing_card, closing_pick_card
from dialogs.actor import Actor, record_by
from dialogs.channel_views import person_name
from dialogs.closing.checklist import ClosingChecklist, id_of, live_channels
from dialogs.notify import queue_package_mail
from dialogs.services import StoredUpload
from domain.lifecycle import ChannelStatus
from storage.channels import change_status
from storage.consents import open_removal_tasks
from storage.evidence import add_upload, evidence_of
from storage.models import ChannelClosingRow, ChannelRow


class ClosingFlow(ClosingChecklist):
    """R13: closing a channel only after its content has reached the records officer."""

    async def pick(self, actor: Actor) -> dict[str, Any] | str:
        """Which channel to close: active (or closing) channels the user edits or manages."""
        async with self._s.sessions() as session:
            channels = await live_channels(session, actor)
        if not channels:
            return actor.texts("closing.no_channels")
        options = tuple(Option(str(c.id), c.name) for c in channels)
        return closing_pick_card(options, actor.texts)

    async def start(self, actor: Actor, data: dict[str, Any]) -> dict[str, Any] | None:
        """active → closing and the checklist; refused while a removal task is open (R11)."""
        texts = actor.texts
        now = self._s.clock.now()
        channel_id = id_of(data, "channel_id")
        async with self._s.sessions.begin() as session:
            live = {c.id: c for c in await live_channels(session, actor)}
            channel = live.get(channel_id or -1)
            if channel is None:
                return note_card(texts("closing.not_yours"))
            existing = await self._open_closing(session, channel.id)
            if existing is not None:
                await self._keep_copy(session, existing, actor, actor.activity_id)
                return closing_card(await self._view(session, existing, texts), texts)
            tasks = await open_removal_tasks(session, channel.id)
            if tasks:
                return note_card(texts("closing.removal_tasks_open", count=tasks))
            if not await change_status(session, channel, ChannelStatus.CLOSING, now):
                return note_card(texts("closing.changed"))
            closing = ChannelClosingRow(
                channel_id=channel.id,
                status="open",
                started_by_person_id=actor.person.id,
                started_at=now,
                details={},
            )
            session.add(closing)
            await session.flush()
            record_by(
                session,
                actor,
                at=now,
                action="channel.closing_started",
                subject_type="channel",
                subject_id=channel.id,
                details={"closing_id": closing.id},
            )
            await self._keep_copy(session, closing, actor, actor.activity_id)
            return closing_card(await self._view(session, closing, texts), texts)

    async def may_collect(self, actor: Actor, data: dict[str, Any]) -> tuple[int | None, str]:
        """The closing whose files may be sent now, or the catalog key of why not."""
        async with self._s.sessions() as session:
            closing = await self._closing(session, actor, data)
            if closing is None:
                return None, "closing.not_yours"
            if closing.status != "open":
                return None, "closing.not_open"
            return closing.id, "closing.waiting_for_files"

    async def collected(
        self, actor: Actor, closing_id: int, purpose: str, result: dict[str, Any]
    ) -> dict[str, Any]:
        """Keeps the export (or where it is filed) or the final screenshots (R13)."""
        texts = actor.texts
        now = self._s.clock.now()
        async with self._s.sessions.begin() as session:
            closing = await self._closing(session, actor, {"closing_id": closing_id})
            if closing is None or closing.status != "open":
                return note_card(texts("closing.not_open"))
            files = result.get("files") or []
            for upload in files:
                add_upload(
                    session,
                    upload,
                    subject_type="closing",
                    subject_id=closing.id,
                    purpose=purpose,
                    by=actor.person.id,
                    at=now,
                )
            if result.get("reference"):
                closing.export_reference = str(result["reference"])
            record_by(
                session,
                actor,
                at=now,
                action=f"closing.{purpose}_saved",
                subject_type="channel",
                subject_id=closing.channel_id,
                details={
                    "closing_id": closing.id,
                    "files": [u["sha256"] for u in files],
                    "reference": bool(result.get("reference")),
                },
            )
            await session.flush()
            return closing_card(await self._view(session, closing, texts), texts)

    async def submit(self, actor: Actor, data: dict[str, Any]) -> dict[str, Any] | None:
        """R13: the package to the records officer, then the manager's confirmation card."""
        texts = actor.texts
        now = self._s.clock.now()
        async with self._s.sessions.begin() as session:
            closing = await self._closing(session, actor, data)
            if closing is None:
                return None
            view = await self._view(session, closing, texts)
            if closing.status != "open":
                return closing_card(replace(view, notice=texts("closing.not_open")), texts)
            if not view.export or not view.screenshots:
                return closing_card(replace(view, notice=texts("closing.incomplete")), texts)
            if tasks := await open_removal_tasks(session, closing.channel_id):
                # R11: a withdrawal during closing: its posts are captured and removed first.
                notice = texts("closing.removal_tasks_open", count=tasks)
                return closing_card(replace(view, notice=notice), texts)
            channel = await session.get(ChannelRow, closing.channel_id)
            assert channel is not None and self._s.records is not None
            files = [
                StoredUpload(f.filename, f.content_type, f.file_key, f.sha256, f.size)
                for f in await evidence_of(session, "closing", closing.id)
            ]
            sv = Texts("sv")
            filename = sv("closing.package_filename", name=channel.name, date=now.date())
            note = sv(
                "closing.package_note",
                reference=closing.export_reference or "–",
                address=channel.address or "–",
            )
            key, sha256 = await self._s.records.package(
                channel_name=channel.name,
                platform=sv(f"platform.{channel.platform}"),
                unit=channel.unit,
                due=now.date(),
                completed_by=person_name(sv, actor.person),
                completed_at=now,
                note=note,
                files=files,
                start_page=None,
                filename=filename,
                purpose="closing",
                # Issue 27: the SIP's descriptive facts and the administration's records keys.
                address=channel.address,
                period_start=channel.created_at.date(),
                administration=self._s.policy_for(channel).registry.administration,
                records=self._s.policy_for(channel).records,
            )
            closing.package_file_key = key
            closing.package_sha256 = sha256
            closing.status = "submitted"
            closing.submitted_by_person_id = actor.person.id
            closing.submitted_at = now
            queue_package_mail(
                session,
                mailbox=self._s.policy_for(channel).documentation.records_mailbox,
                texts_prefix="closing",
                channel=channel,
                person=actor.person,
                key=key,
                filename=filename,
                now=now,
                sha256=sha256,
                records=self._s.policy_for(channel).records,
            )
            record_by(
                session,
                actor,
                at=now,
                action="closing.submitted",
                subject_type="channel",
                subject_id=channel.id,
                details={
                    "closing_id": closing.id,
                    "package_sha256": sha256,
                    "records_mailbox": bool(
                        self._s.policy_for(channel).documentation.records_mailbox
                    ),
                },
            )
            await session.flush()
            await self._ask_manager(session, channel, closing, now)
            await self._keep_copy(session, closing, actor, actor.activity_id)
            await self._update_copies(session, closing, actor.activity_id)
            result = closing_card(await self._view(session, closing, texts), texts)
        self._s.wake_delivery()
        return result

    async def cancel(self, actor: Actor, data: dict[str, Any]) -> dict[str, Any] | None:
        """The channel stays: closing → active, and the checklist is put away."""
        texts = actor.texts
        now = self._s.clock.now()
        async with self._s.sessions.begin() as session:
            closing = await self._closing(session, actor, data)
            if closing is None:
                return None
            channel = await session.get(ChannelRow, closing.channel_id)
            assert channel is not None
            if closing.status not in ("open", "submitted"):
                # Already decided: say what happened rather than "not open" or "not allowed".
                notice = {
                    "confirmed": "closing.already_closed",
                    "cancelled": "closing.already_cancelled",
                }.get(closing.status, "closing.not_open")
                view = await self._view(session, closing, texts)
                return closing_card(replace(view, notice=texts(notice)), texts)
            if not await change_status(session, channel, ChannelStatus.ACTIVE, now):
                view = await self._view(session, closing, texts)
                return closing_card(replace(view, notice=texts("closing.changed")), texts)
            closing.status = "cancelled"
            record_by(
                session,
                actor,
                at=now,
                action="channel.closing_cancelled",
                subject_type="channel",
                subject_id=channel.id,
                details={"closing_id": closing.id},
            )
            await session.flush()
            await self._update_copies(session, closing, actor.activity_id)
            result = closing_card(await self._view(session, closing, texts), texts)
        self._s.wake_delivery()
        return result
