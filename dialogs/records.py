"""Before deleting (R11) and closing a channel (R13): the records rules kept.

radera --> what, where, covered by the latest documentation? --> delete | capture first
(a screenshot in the chat, kept with its SHA-256, then "deleted") | keep | close the channel

avsluta kanal --> active → closing (refused while a removal task is open) --> the platform's
export (uploaded or where it is filed) and final screenshots --> the package to the records
officer through the outbox --> the manager confirms --> the registry's closing notice (R8),
closing → closed, reminders stop
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from microsoft_agents.activity import Attachment
from microsoft_agents.hosting.core import MessageFactory
from microsoft_agents.hosting.dialogs import (
    ComponentDialog,
    DialogTurnResult,
    WaterfallDialog,
    WaterfallStepContext,
)
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cards.common import ADAPTIVE_CARD_CONTENT_TYPE, note_card
from cards.consent import Option
from cards.i18n import Texts
from cards.records import (
    DESCRIPTION_LIMIT,
    ClosingView,
    DeletionFormView,
    DeletionOutcomeView,
    closing_card,
    closing_pick_card,
    deletion_form_card,
    deletion_outcome_card,
)
from cards.verbs import Verb
from dialogs.actor import Actor, load_actor, may_decide, record_by, row_id
from dialogs.channel_views import day, person_name, when
from dialogs.collect import CollectFiles
from dialogs.notify import queue_card, queue_email, queue_text, queue_updates, texts_for
from dialogs.services import FlowServices, StoredUpload
from dialogs.wiring import ActionContext, ActionResult, Flows, VerbHandler, Wiring
from domain.documentation import next_office_time
from domain.lifecycle import ChannelStatus
from domain.outbox import OutboxStatus
from domain.records import DeletionKind, DeletionOutcome, deletion_outcome
from storage.channels import EditorStatus, add_card_copy, change_status, editors_of
from storage.consents import open_removal_tasks, visible_channels
from storage.evidence import add_upload, evidence_of
from storage.models import (
    CardCopyRow,
    ChannelClosingRow,
    ChannelRow,
    DeletionDecisionRow,
    DocumentationRoundRow,
    OutboxRow,
    PersonRow,
)

CAPTURE_DIALOG = "deletion.capture"
CLOSING_DIALOG = "closing.files"
FILES_ID = "records.files"


def _id(data: dict[str, Any], key: str) -> int | None:
    return row_id(data.get(key))


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    return value.strip() if isinstance(value, str) else ""


async def _live_channels(session: AsyncSession, person_id: int) -> list[ChannelRow]:
    """Active channels where the person is an accepted editor or the manager."""
    return [
        c
        for c in await visible_channels(session, person_id)
        if c.status in (ChannelStatus.ACTIVE.value, ChannelStatus.CLOSING.value)
    ]


async def _last_documented(session: AsyncSession, channel_id: int) -> datetime | None:
    return await session.scalar(
        select(func.max(DocumentationRoundRow.completed_at)).where(
            DocumentationRoundRow.channel_id == channel_id
        )
    )


class DeletionFlow:
    """R11: what the records plan says before an image, a post or a comment is deleted."""

    def __init__(self, services: FlowServices) -> None:
        self._s = services

    async def _form(
        self, session: AsyncSession, actor: Actor, data: dict[str, Any] | None = None
    ) -> DeletionFormView | None:
        channels = [
            c
            for c in await _live_channels(session, actor.person.id)
            if c.status == ChannelStatus.ACTIVE.value
        ]
        if not channels:
            return None
        data = data or {}
        return DeletionFormView(
            channels=tuple(Option(str(c.id), c.name) for c in channels),
            channel_id=_text(data, "channel_id"),
            kind=_text(data, "kind"),
            description=_text(data, "description"),
            covered=_text(data, "covered"),
            passing=_text(data, "passing"),
            records_plan_url=self._s.policy.templates.records_plan_url,
        )

    async def form(self, actor: Actor) -> dict[str, Any] | str:
        """The question before deleting, for the channels the user edits or manages."""
        async with self._s.sessions() as session:
            view = await self._form(session, actor)
        if view is None:
            return actor.texts("deletion.no_channels")
        return deletion_form_card(view, actor.texts)

    async def check(self, actor: Actor, data: dict[str, Any]) -> dict[str, Any] | None:
        """R11: applies the culling rules and records the decision."""
        texts = actor.texts
        now = self._s.clock.now()
        async with self._s.sessions.begin() as session:
            view = await self._form(session, actor, data)
            if view is None:
                return note_card(texts("deletion.no_channels"))
            errors: dict[str, str] = {}
            if view.channel_id not in {o.value for o in view.channels}:
                errors["channel_id"] = texts("deletion.choose")
            if view.kind not in {k.value for k in DeletionKind}:
                errors["kind"] = texts("deletion.choose")
            if view.covered not in ("yes", "no") and view.kind != DeletionKind.CHANNEL.value:
                errors["covered"] = texts("deletion.choose")
            if view.kind != DeletionKind.CHANNEL.value and not view.description:
                errors["description"] = texts("deletion.describe")
            if len(view.description) > DESCRIPTION_LIMIT:
                errors["description"] = texts(
                    "form.errors.too_long", limit=DESCRIPTION_LIMIT, length=len(view.description)
                )
            if errors:
                shown = replace(view, errors=errors, notice=texts("deletion.fix_errors"))
                return deletion_form_card(shown, texts)
            channel = await session.get(ChannelRow, int(view.channel_id))
            assert channel is not None
            kind = DeletionKind(view.kind)
            result = deletion_outcome(
                kind, view.covered == "yes", view.passing == "yes", self._s.policy.records
            )
            decision = DeletionDecisionRow(
                channel_id=channel.id,
                person_id=actor.person.id,
                kind=kind.value,
                description=view.description or None,
                covered=view.covered == "yes",
                outcome=result.value,
                status="decided",
                created_at=now,
                details={"passing_importance": view.passing == "yes"},
            )
            session.add(decision)
            await session.flush()
            record_by(
                session,
                actor,
                at=now,
                action="deletion.decided",
                subject_type="deletion",
                subject_id=decision.id,
                details={
                    "channel_id": channel.id,
                    "kind": kind.value,
                    "covered": decision.covered,
                    "outcome": result.value,
                    "rule": self._s.policy.records.rule_for(kind.value),
                },
            )
            return deletion_outcome_card(await self._view(session, decision, texts), texts)

    async def _view(
        self, session: AsyncSession, decision: DeletionDecisionRow, texts: Texts
    ) -> DeletionOutcomeView:
        channel = await session.get(ChannelRow, decision.channel_id)
        assert channel is not None
        last = await _last_documented(session, channel.id)
        captured = None
        captures = await evidence_of(session, "deletion", decision.id, "capture")
        if captures:
            who = await session.get(PersonRow, captures[0].uploaded_by_person_id or -1)
            captured = texts(
                "deletion.captured",
                filename=captures[0].filename,
                who=person_name(texts, who),
                when=when(texts, captures[0].uploaded_at),
            )
        done = None
        if decision.status == "done" and decision.completed_at is not None:
            done = texts("deletion.done", when=when(texts, decision.completed_at))
        return DeletionOutcomeView(
            decision_id=decision.id,
            channel=channel.name,
            channel_id=channel.id,
            kind=decision.kind,
            description=decision.description or "",
            outcome=decision.outcome,
            last_documented=day(texts, last.date()) if last else texts("deletion.never"),
            captured=captured,
            done=done,
        )

    async def _decision(
        self, session: AsyncSession, actor: Actor, data: dict[str, Any]
    ) -> DeletionDecisionRow | None:
        decision_id = _id(data, "decision_id")
        decision = await session.get(DeletionDecisionRow, decision_id) if decision_id else None
        if decision is None:
            return None
        live = {c.id for c in await _live_channels(session, actor.person.id)}
        return decision if decision.channel_id in live else None

    async def may_capture(self, actor: Actor, data: dict[str, Any]) -> tuple[int | None, str]:
        """The decision whose capture may begin, or the catalog key of why not."""
        async with self._s.sessions() as session:
            decision = await self._decision(session, actor, data)
            if decision is None or decision.outcome != DeletionOutcome.CAPTURE_FIRST.value:
                return None, "deletion.not_yours"
            if decision.status == "done":
                return None, "deletion.already_done"
            return decision.id, "deletion.send_capture"

    async def captured(self, actor: Actor, decision_id: int, upload: dict[str, Any]) -> str:
        """R11: the capture is kept as a record before the deletion."""
        texts = actor.texts
        now = self._s.clock.now()
        async with self._s.sessions.begin() as session:
            decision = await self._decision(session, actor, {"decision_id": decision_id})
            if decision is None:
                return texts("deletion.not_yours")
            add_upload(
                session,
                upload,
                subject_type="deletion",
                subject_id=decision.id,
                purpose="capture",
                by=actor.person.id,
                at=now,
            )
            if decision.status == "decided":
                decision.status = "captured"
            record_by(
                session,
                actor,
                at=now,
                action="deletion.captured",
                subject_type="deletion",
                subject_id=decision.id,
                details={"sha256": upload["sha256"], "filename": upload["filename"]},
            )
        return texts("deletion.capture_saved")

    async def done(self, actor: Actor, data: dict[str, Any]) -> dict[str, Any] | None:
        """The material is deleted: after its capture when the rules ask for one (R11)."""
        texts = actor.texts
        now = self._s.clock.now()
        async with self._s.sessions.begin() as session:
            decision = await self._decision(session, actor, data)
            if decision is None:
                return None
            view = await self._view(session, decision, texts)
            if decision.outcome != DeletionOutcome.CAPTURE_FIRST.value:
                return deletion_outcome_card(view, texts)
            if decision.status != "captured":
                key = "deletion.already_done" if decision.status == "done" else "deletion.first"
                return deletion_outcome_card(replace(view, notice=texts(key)), texts)
            decision.status = "done"
            decision.completed_at = now
            record_by(
                session,
                actor,
                at=now,
                action="deletion.done",
                subject_type="deletion",
                subject_id=decision.id,
                details={"channel_id": decision.channel_id},
            )
            await session.flush()
            return deletion_outcome_card(await self._view(session, decision, texts), texts)


class ClosingFlow:
    """R13: closing a channel only after its content has reached the records officer."""

    def __init__(self, services: FlowServices) -> None:
        self._s = services

    async def pick(self, actor: Actor) -> dict[str, Any] | str:
        """Which channel to close: active (or closing) channels the user edits or manages."""
        async with self._s.sessions() as session:
            channels = await _live_channels(session, actor.person.id)
        if not channels:
            return actor.texts("closing.no_channels")
        options = tuple(Option(str(c.id), c.name) for c in channels)
        return closing_pick_card(options, actor.texts)

    async def _open_closing(
        self, session: AsyncSession, channel_id: int
    ) -> ChannelClosingRow | None:
        return await session.scalar(
            select(ChannelClosingRow)
            .where(ChannelClosingRow.channel_id == channel_id)
            .where(ChannelClosingRow.status.in_(["open", "submitted"]))
            .order_by(ChannelClosingRow.id.desc())
        )

    async def start(self, actor: Actor, data: dict[str, Any]) -> dict[str, Any] | None:
        """active → closing and the checklist; refused while a removal task is open (R11)."""
        texts = actor.texts
        now = self._s.clock.now()
        channel_id = _id(data, "channel_id")
        async with self._s.sessions.begin() as session:
            live = {c.id: c for c in await _live_channels(session, actor.person.id)}
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
            records_mailbox=self._s.policy.documentation.records_mailbox,
            submitted=submitted,
            for_manager=for_manager and closing.status == "submitted",
            done=done,
        )

    async def _closing(
        self, session: AsyncSession, actor: Actor, data: dict[str, Any]
    ) -> ChannelClosingRow | None:
        closing_id = _id(data, "closing_id")
        closing = await session.get(ChannelClosingRow, closing_id) if closing_id else None
        if closing is None:
            return None
        # Editors and the manager, whatever the channel's status: a closed channel's
        # checklist still answers (with what happened), it does not say "not allowed".
        mine = {c.id for c in await visible_channels(session, actor.person.id)}
        channel = await session.get(ChannelRow, closing.channel_id)
        allowed = closing.channel_id in mine or (
            channel is not None and may_decide(self._s.policy, channel, actor.person)
        )
        return closing if allowed else None

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
            )
            closing.package_file_key = key
            closing.package_sha256 = sha256
            closing.status = "submitted"
            closing.submitted_by_person_id = actor.person.id
            closing.submitted_at = now
            self._send_package(session, channel, actor.person, key, filename, now)
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
                    "records_mailbox": bool(self._s.policy.documentation.records_mailbox),
                },
            )
            await session.flush()
            await self._ask_manager(session, channel, closing, now)
            await self._keep_copy(session, closing, actor, actor.activity_id)
            await self._update_copies(session, closing, actor.activity_id)
            result = closing_card(await self._view(session, closing, texts), texts)
        self._s.wake_delivery()
        return result

    def _send_package(
        self,
        session: AsyncSession,
        channel: ChannelRow,
        person: PersonRow,
        key: str,
        filename: str,
        now: datetime,
    ) -> None:
        """R13: the package goes to the records officer (the registrar) when one is named."""
        mailbox = self._s.policy.documentation.records_mailbox
        if not mailbox:
            return
        sv = Texts("sv")
        values = dict(
            name=channel.name,
            platform=sv(f"platform.{channel.platform}"),
            unit=channel.unit,
            who=person_name(sv, person),
            when=when(sv, now),
        )
        queue_email(
            session,
            to=mailbox,
            subject=sv("closing.mail_subject", **values),
            body=sv("closing.mail_body", **values),
            now=now,
            zip_attachment=(key, filename),
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
            due_at=next_office_time(now, self._s.policy.documentation) if reminder else None,
        )

    async def confirm(self, actor: Actor, data: dict[str, Any]) -> dict[str, Any] | None:
        """The manager confirms (R13): closing notice to the registry (R8), channel closed."""
        texts = actor.texts
        now = self._s.clock.now()
        async with self._s.sessions.begin() as session:
            closing_id = _id(data, "closing_id")
            closing = await session.get(ChannelClosingRow, closing_id) if closing_id else None
            channel = await session.get(ChannelRow, closing.channel_id) if closing else None
            if closing is None or channel is None:
                return None
            view = await self._view(session, closing, texts)
            if not may_decide(self._s.policy, channel, actor.person):
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
            to=self._s.policy.registry.mailbox,
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

    async def remind(self, session: AsyncSession) -> int:
        """The manager is reminded once when a submitted closing waits for confirmation."""
        now = self._s.clock.now()
        before = now - timedelta(days=self._s.policy.records.closing_reminder_days)
        waiting = await session.scalars(
            select(ChannelClosingRow)
            .where(ChannelClosingRow.status == "submitted")
            .where(ChannelClosingRow.submitted_at <= before)
            .limit(500)
        )
        count = 0
        for closing in list(waiting):
            if closing.details.get("reminded"):
                continue
            channel = await session.get(ChannelRow, closing.channel_id)
            if channel is None:
                continue
            closing.details = {**closing.details, "reminded": now.isoformat()}
            await self._ask_manager(session, channel, closing, now, reminder=True)
            count += 1
        return count


class RecordsFilesDialog(ComponentDialog):
    """Takes a file in the chat for a deletion's capture or a closing's export/screenshots."""

    def __init__(self, services: FlowServices, dialog_id: str) -> None:
        super().__init__(dialog_id)
        self._s = services
        self._deletion = DeletionFlow(services)
        self._closing = ClosingFlow(services)
        self.add_dialog(CollectFiles(services, FILES_ID))
        self.add_dialog(WaterfallDialog(f"{dialog_id}.steps", [self._ask, self._keep]))
        self.initial_dialog_id = f"{dialog_id}.steps"

    async def _ask(self, step: WaterfallStepContext) -> DialogTurnResult:
        options = dict(step.options or {})  # type: ignore[call-overload]
        step.values["options"] = options
        asks = {
            "capture": {"ask": "deletion.ask_capture", "single": True},
            "export": {
                "ask": "closing.ask_export",
                "single": True,
                "reference": True,
                "archives": True,
            },
            "screenshot": {"ask": "closing.ask_screenshots"},
        }
        return await step.begin_dialog(FILES_ID, asks[options["purpose"]])

    async def _keep(self, step: WaterfallStepContext) -> DialogTurnResult:
        texts = Texts.for_locale(step.context.activity.locale)
        options = step.values["options"]
        result = step.result or {}
        async with self._s.sessions() as session:
            actor = await load_actor(session, options.get("person_id"), texts)
        if actor is None:
            await step.context.send_activity(texts("errors.not_allowed"))
            return await step.end_dialog()
        if options["purpose"] == "capture":
            files = result.get("files") or []
            reply = await self._deletion.captured(actor, int(options["subject_id"]), files[0])
            await step.context.send_activity(reply)
            return await step.end_dialog()
        closing_id = int(options["subject_id"])
        content = await self._closing.collected(actor, closing_id, options["purpose"], result)
        sent = await step.context.send_activity(
            MessageFactory.attachment(
                Attachment(content_type=ADAPTIVE_CARD_CONTENT_TYPE, content=content)
            )
        )
        conversation = step.context.activity.conversation
        actor = replace(actor, conversation_id=conversation.id if conversation else None)
        await self._closing.posted(actor, closing_id, sent.id if sent else None)
        return await step.end_dialog()


MayCollect = Callable[[Actor, dict[str, Any]], Awaitable[tuple[int | None, str]]]


def build(wiring: Wiring) -> Flows:
    """The verbs, commands and sweeps of this flow."""
    services, runner = wiring.services, wiring.runner
    deletion = DeletionFlow(services)
    closing = ClosingFlow(services)
    runner.add(CAPTURE_DIALOG, RecordsFilesDialog(services, CAPTURE_DIALOG))
    runner.add(CLOSING_DIALOG, RecordsFilesDialog(services, CLOSING_DIALOG))

    def collecting(dialog: str, purpose: str, may: MayCollect) -> VerbHandler:
        """A button that starts taking files in this chat; the card stays as it is."""

        async def handler(ctx: ActionContext) -> ActionResult:
            actor = await wiring.actor_of(ctx)
            if actor is None:
                return ActionResult(message=ctx.texts("errors.not_allowed"))
            subject_id, key = await may(actor, dict(ctx.action.data))
            if subject_id is not None:
                options = {
                    "person_id": actor.person.id,
                    "subject_id": subject_id,
                    "purpose": purpose,
                }
                await runner.begin(ctx.turn_context, dialog, options)
            return ActionResult(message=ctx.texts(key))

        return handler

    return Flows(
        verbs={
            Verb.DELETION_CHECK: wiring.acting(deletion.check),
            Verb.DELETION_CAPTURE: collecting(CAPTURE_DIALOG, "capture", deletion.may_capture),
            Verb.DELETION_DONE: wiring.acting(deletion.done),
            Verb.CLOSING_START: wiring.acting(closing.start),
            Verb.CLOSING_EXPORT: collecting(CLOSING_DIALOG, "export", closing.may_collect),
            Verb.CLOSING_SCREENSHOTS: collecting(
                CLOSING_DIALOG, "screenshot", closing.may_collect
            ),
            Verb.CLOSING_SUBMIT: wiring.acting(closing.submit),
            Verb.CLOSING_CONFIRM: wiring.acting(closing.confirm),
            Verb.CLOSING_CANCEL: wiring.acting(closing.cancel),
        },
        commands={
            "delete": wiring.command(lambda _turn, actor: deletion.form(actor)),
            "close_channel": wiring.command(lambda _turn, actor: closing.pick(actor)),
        },
        sweeps={"closing_reminders": closing.remind},
    )
