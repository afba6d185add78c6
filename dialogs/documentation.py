"""Half-yearly documentation (R12): reminders that arrive by themselves, and the round itself.

    reminder card --"Dokumentera nu"--> the public start page captured by Kanalkollen itself
    (dialogs/capture.py) while files are collected (until "klar") --> which is the start
    page? --> a note? --> round recorded, package to the records officer, next due date set,
    every editor's reminder card shows "done by ...", later reminders of the round cancelled

```mermaid
flowchart LR
  R[reminder card] -->|Dokumentera nu| F[files in the chat]
  R -.->|capture queued| C[capture shown in the chat]
  C -.-> F
  F -->|klar| S[start page]
  S --> N[note]
  N --> D[round recorded, package, next due]
```
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, timedelta
from typing import Any

from microsoft_agents.hosting.core import MessageFactory, TurnContext
from microsoft_agents.hosting.dialogs import (
    ComponentDialog,
    Dialog,
    DialogContext,
    DialogTurnResult,
    PromptOptions,
    PromptValidatorContext,
    TextPrompt,
    WaterfallDialog,
    WaterfallStepContext,
)
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cards.documentation import (
    DocumentationEscalationView,
    DocumentationReminderView,
    documentation_escalation_card,
    documentation_reminder_card,
)
from cards.i18n import Texts, raw_catalog
from cards.verbs import Verb
from dialogs.actor import channel_from, load_actor
from dialogs.capture import WARC_TYPE, CaptureFlow
from dialogs.channel_views import day, person_name, when
from dialogs.notify import queue_card, queue_email, queue_updates, texts_for
from dialogs.services import FlowServices, StoredUpload
from dialogs.state import checkpoint
from dialogs.wiring import ActionContext, ActionResult, Flows, Wiring, card_activity
from domain.documentation import (
    current_step,
    days_overdue,
    escalation_due,
    next_due,
    next_office_time,
    today_in,
)
from domain.lifecycle import ChannelStatus
from domain.outbox import OutboxStatus
from storage.audit import record_event
from storage.channels import EditorStatus, editors_of
from storage.documentation import DueChannel, channels_due_by
from storage.models import (
    CardCopyRow,
    ChannelEditorRow,
    ChannelRow,
    DocumentationFileRow,
    DocumentationRoundRow,
    OutboxRow,
    PersonRow,
)

DIALOG_ID = "documentation"
FILES_ID = "documentation.files"
START_PAGE_ID = "documentation.start_page"
NOTE_ID = "documentation.note"
NOTE_LIMIT = 2000
PAGE = 500


def _words(texts: Texts, key: str) -> set[str]:
    return {w.casefold() for w in raw_catalog(texts.language)["documentation"][key]}


def reminder_dedupe_prefix(channel_id: int, due: date) -> str:
    """The dedupe keys of one round's reminders start with this (to cancel them at once)."""
    return f"doc-reminder:{channel_id}:{due.isoformat()}:"


class DocumentationFlow:
    """The sweep that reminds, and the completion of a round."""

    def __init__(self, services: FlowServices) -> None:
        self._s = services
        self._captures = CaptureFlow(services)

    # --- the sweep -------------------------------------------------------------------------

    async def remind(self, session: AsyncSession) -> int:
        """Queues today's reminder step to every editor of each due channel, once (R12)."""
        policy = self._s.policy.documentation
        now = self._s.clock.now()
        today = today_in(now, policy)
        send_at = next_office_time(now, policy)  # a reminder due at night waits for morning
        queued = 0
        horizon = today + timedelta(days=policy.reminder_days_before)
        after: tuple[date, int] | None = None
        while queued < policy.max_reminders_per_sweep:
            # Pages of due channels, so that a sweep stops at the cap without reading them all;
            # the rest come in the next sweeps (no flood after an import).
            page = await channels_due_by(session, horizon, limit=PAGE, after=after)
            if not page:
                break
            for channel in page:
                if queued >= policy.max_reminders_per_sweep:
                    break
                due = channel.next_documentation_due
                step = current_step(due, today, policy)
                if step is None:
                    continue
                queued += await self._remind_editors(session, channel, due, step.key, send_at)
                # The round is open: the public start page is captured (queued, not waited on).
                await self._captures.round_opens(session, channel.id, due)
                if escalation_due(due, today, policy):
                    queued += await self._escalate(session, channel, due, today, send_at)
            after = (page[-1].next_documentation_due, page[-1].id)
        return queued

    async def _remind_editors(
        self,
        session: AsyncSession,
        channel: DueChannel | ChannelRow,
        due: date,
        step: str,
        send_at: Any,
    ) -> int:
        queued = 0
        for entry in await editors_of(session, channel.id):
            if entry.editor.status != EditorStatus.ACCEPTED:
                continue
            # Someone imported by e-mail and not yet seen in Teams is reminded too: the outbox
            # sends them the reminder by e-mail (dialogs/unreachable.py) until they write.
            texts = texts_for(entry.person)
            card = documentation_reminder_card(self._view(channel, due, texts), texts)
            key = f"{reminder_dedupe_prefix(channel.id, due)}{step}:{entry.person.id}"
            if await queue_card(
                session,
                entry.person,
                card,
                self._s.clock.now(),
                track=("channel", channel.id, "doc_reminder"),
                dedupe_key=key,
                due_at=send_at,
            ):
                queued += 1
        if queued:
            record_event(
                session,
                at=self._s.clock.now(),
                action="documentation.reminded",
                subject_type="channel",
                subject_id=channel.id,
                details={"due": due.isoformat(), "step": step, "editors": queued},
            )
        return queued

    async def _escalate(
        self,
        session: AsyncSession,
        channel: DueChannel | ChannelRow,
        due: date,
        today: date,
        send_at: Any,
    ) -> int:
        """R12 with R1: past the grace period the manager is told, once per round."""
        manager = (
            await session.get(PersonRow, channel.manager_person_id)
            if channel.manager_person_id
            else None
        )
        if manager is None:
            return 0
        texts = texts_for(manager)
        editors = tuple(
            person_name(texts, e.person)
            for e in await editors_of(session, channel.id)
            if e.editor.status == EditorStatus.ACCEPTED
        )
        view = DocumentationEscalationView(
            name=channel.name,
            platform=texts(f"platform.{channel.platform}"),
            unit=channel.unit,
            editors=editors,
            due=day(texts, due),
            overdue_days=days_overdue(due, today),
        )
        if not await queue_card(
            session,
            manager,
            documentation_escalation_card(view, texts),
            self._s.clock.now(),
            due_at=send_at,
            dedupe_key=f"doc-escalation:{channel.id}:{due.isoformat()}",
        ):
            return 0
        record_event(
            session,
            at=self._s.clock.now(),
            action="documentation.escalated",
            subject_type="channel",
            subject_id=channel.id,
            details={"due": due.isoformat(), "days_overdue": view.overdue_days},
        )
        return 1

    def _view(
        self,
        channel: DueChannel | ChannelRow,
        due: date,
        texts: Texts,
        *,
        done: str | None = None,
        last: date | None = None,
    ) -> DocumentationReminderView:
        today = today_in(self._s.clock.now(), self._s.policy.documentation)
        return DocumentationReminderView(
            channel_id=channel.id,
            due_iso=due.isoformat(),
            name=channel.name,
            platform=texts(f"platform.{channel.platform}"),
            due=day(texts, due),
            last_documented=day(texts, last) if last else None,
            overdue_days=days_overdue(due, today),
            done=done,
        )

    # --- starting and completing a round -----------------------------------------------------

    async def to_document(self, person_id: int) -> list[ChannelRow]:
        """R12: the active channels the person edits, the one due soonest first."""
        async with self._s.sessions() as session:
            rows = await session.scalars(
                select(ChannelRow)
                .join(ChannelEditorRow, ChannelEditorRow.channel_id == ChannelRow.id)
                .where(ChannelEditorRow.person_id == person_id)
                .where(ChannelEditorRow.status == EditorStatus.ACCEPTED)
                .where(ChannelRow.status == ChannelStatus.ACTIVE.value)
                .where(ChannelRow.next_documentation_due.is_not(None))
                .order_by(ChannelRow.next_documentation_due, ChannelRow.id)
            )
            return list(rows)

    def reminder_card(self, channel: ChannelRow, texts: Texts) -> dict[str, Any]:
        """The card with *Dokumentera nu* for one channel (as the reminder shows it)."""
        assert channel.next_documentation_due is not None
        return documentation_reminder_card(
            self._view(channel, channel.next_documentation_due, texts), texts
        )

    async def may_document(
        self, person_id: int | None, data: dict[str, Any]
    ) -> tuple[ChannelRow | None, str | None]:
        """The channel to document, or the catalog key saying why not."""
        async with self._s.sessions() as session:
            channel = await channel_from(session, data.get("channel_id"))
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
    ) -> str:
        """Records the round, sends the package, sets the next due date; returns the reply."""
        now = self._s.clock.now()
        records = self._s.records
        assert records is not None
        async with self._s.sessions() as session:
            channel = await session.get(ChannelRow, channel_id)
            person = await session.get(PersonRow, person_id)
        if (
            channel is None
            or person is None
            or channel.next_documentation_due is None
            or channel.next_documentation_due.isoformat() != due_iso
        ):
            return texts("documentation.not_due")
        due = channel.next_documentation_due
        sv = Texts("sv")
        # The package is built before the transaction: no file work while rows are locked.
        package_name = sv(
            "documentation.package_filename",
            name=channel.name,
            date=today_in(now, self._s.policy.documentation).isoformat(),
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
        )
        today = today_in(now, self._s.policy.documentation)
        following = next_due(today, self._s.policy.channels.documentation_interval_months)
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
            self._send_package(session, channel, person, key, package_name, now)
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

    def _send_package(
        self,
        session: AsyncSession,
        channel: ChannelRow,
        person: PersonRow,
        key: str,
        filename: str,
        now: Any,
    ) -> None:
        """Where the policy names a records mailbox, the package goes there (R12, R13)."""
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
            subject=sv("documentation.mail_subject", **values),
            body=sv("documentation.mail_body", **values),
            now=now,
            zip_attachment=(key, filename),
        )


class CollectFiles(Dialog):
    """Takes files message after message until the editor says they are done."""

    def __init__(self, services: FlowServices) -> None:
        super().__init__(FILES_ID)
        self._s = services
        self._captures = CaptureFlow(services)

    async def begin_dialog(self, dc: DialogContext, options: object = None) -> DialogTurnResult:
        """Asks for the screenshots, and has the public start page captured meanwhile."""
        dc.active_dialog.state["files"] = []
        round_ = dict(options) if isinstance(options, dict) else {}
        dc.active_dialog.state["round"] = round_
        texts = Texts.for_locale(dc.context.activity.locale)
        await dc.context.send_activity(
            texts("documentation.ask_files", max_mb=self._s.policy.documentation.max_file_mb)
        )
        if round_.get("person_id") and round_.get("channel_id"):
            started = await self._captures.begin(
                texts,
                int(round_["person_id"]),
                int(round_["channel_id"]),
                date.fromisoformat(str(round_["due"])),
            )
            if started:
                await dc.context.send_activity(started)
        return Dialog.end_of_turn

    async def _captured(
        self, dc: DialogContext, texts: Texts
    ) -> tuple[list[dict[str, Any]], list[str]] | None:
        """The round's finished captures for this editor, and the addresses still running."""
        round_ = dc.active_dialog.state.get("round") or {}
        if not round_.get("person_id"):
            return None
        files, pending = await self._captures.files_for(
            int(round_["person_id"]),
            int(round_["channel_id"]),
            date.fromisoformat(str(round_["due"])),
        )
        return [asdict(f) for f in files], pending

    async def _capture_page(self, dc: DialogContext, texts: Texts, url: str) -> bool:
        """An address in the chat: another of the channel's public pages to capture."""
        round_ = dc.active_dialog.state.get("round") or {}
        if not round_.get("person_id"):
            return False
        answer = await self._captures.request_page(
            texts,
            int(round_["person_id"]),
            int(round_["channel_id"]),
            date.fromisoformat(str(round_["due"])),
            url,
        )
        if answer is None:
            return False
        await dc.context.send_activity(answer)
        return True

    async def continue_dialog(self, dc: DialogContext) -> DialogTurnResult:
        """Stores the message's files, or ends when the editor is done."""
        texts = Texts.for_locale(dc.context.activity.locale)
        files: list[dict[str, Any]] = dc.active_dialog.state["files"]
        raw = (dc.context.activity.text or "").strip()
        text = raw.casefold().strip(".!")
        if text in _words(texts, "done_words"):
            captured = await self._captured(dc, texts)
            if captured is not None and captured[1]:
                await dc.context.send_activity(texts("capture.wait", address=captured[1][0]))
                return Dialog.end_of_turn
            # Kanalkollen's own captures first (the start page's is suggested as number 1).
            ours = captured[0] if captured else []
            # WARCs last, so that the pictures' numbers are their places in the files.
            everything = (
                [f for f in ours if f["content_type"] != WARC_TYPE]
                + files
                + [f for f in ours if f["content_type"] == WARC_TYPE]
            )
            if not everything:
                await dc.context.send_activity(texts("documentation.need_files"))
                return Dialog.end_of_turn
            return await dc.end_dialog(everything)
        is_address = text.startswith(("http://", "https://")) and " " not in raw
        if is_address and await self._capture_page(dc, texts, raw):
            return Dialog.end_of_turn
        if dc.context.activity.attachments and self._s.records is not None:
            # Teams adds a text/html copy of every message; collect() ignores it.
            stored, refused = await self._s.records.collect(dc.context)
            files.extend(asdict(f) for f in stored)
            for name, code in refused:
                reason = texts(
                    f"documentation.reason_{code}", max_mb=self._s.policy.documentation.max_file_mb
                )
                await dc.context.send_activity(
                    texts("documentation.refused", name=name, reason=reason)
                )
            if refused and not stored:
                return Dialog.end_of_turn
        await checkpoint(dc.context)  # what the count claims is committed first
        await dc.context.send_activity(texts("documentation.received", count=len(files)))
        return Dialog.end_of_turn


class DocumentationDialog(ComponentDialog):
    """The round: files, the start page, a note, then one service call (R12)."""

    def __init__(self, services: FlowServices) -> None:
        super().__init__(DIALOG_ID)
        self._s = services
        self._flow = DocumentationFlow(services)
        self.add_dialog(CollectFiles(services))
        self.add_dialog(TextPrompt(START_PAGE_ID, self._valid_start_page))
        self.add_dialog(TextPrompt(NOTE_ID, self._valid_note))
        self.add_dialog(
            WaterfallDialog(
                f"{DIALOG_ID}.steps", [self._files, self._start_page, self._note, self._finish]
            )
        )
        self.initial_dialog_id = f"{DIALOG_ID}.steps"

    async def _files(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Stores which round this is and asks for the files."""
        step.values["round"] = dict(step.options or {})
        return await step.begin_dialog(FILES_ID, step.values["round"])

    async def _start_page(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Keeps the files and asks which one is the start page (when there are several)."""
        step.values["files"] = step.result
        # A capture's WARC is for replay, not a picture: it is never the start page (WARCs
        # come last, so the numbers of the pictures are their places in the files).
        pictures = [f for f in step.result if f["content_type"] != WARC_TYPE]
        if len(pictures) == 1:
            return await step.next("1")
        texts = Texts.for_locale(step.context.activity.locale)
        listing = "\n".join(f"{i}. {f['filename']}" for i, f in enumerate(pictures, 1))
        prompt = texts("documentation.ask_start_page", files=listing)
        return await step.prompt(
            START_PAGE_ID,
            PromptOptions(prompt=MessageFactory.text(prompt), validations=len(pictures)),
        )

    async def _note(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Keeps the start page and asks for an optional note."""
        step.values["start_index"] = int(str(step.result).strip().rstrip(".")) - 1
        texts = Texts.for_locale(step.context.activity.locale)
        return await step.prompt(
            NOTE_ID, PromptOptions(prompt=MessageFactory.text(texts("documentation.ask_note")))
        )

    async def _finish(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Completes the round with one service call."""
        texts = Texts.for_locale(step.context.activity.locale)
        note = str(step.result or "").strip()
        if note.casefold() in _words(texts, "no_words"):
            note = ""
        round_ = step.values["round"]
        async with self._s.sessions() as session:
            actor = await load_actor(session, round_.get("person_id"), texts)
        if actor is None:
            await step.context.send_activity(texts("errors.not_allowed"))
            return await step.end_dialog()
        files = [StoredUpload(**f) for f in step.values["files"]]
        reply = await self._flow.complete(
            actor.person.id,
            texts,
            int(round_["channel_id"]),
            str(round_["due"]),
            files,
            step.values["start_index"],
            note or None,
        )
        await step.context.send_activity(reply)
        return await step.end_dialog()

    @staticmethod
    async def _valid_start_page(prompt: PromptValidatorContext) -> bool:
        count = int(prompt.options.validations or 0)
        raw = str(prompt.recognized.value or "").strip().rstrip(".")
        if raw.isdigit() and 1 <= int(raw) <= count:
            return True
        texts = Texts.for_locale(prompt.context.activity.locale)
        await prompt.context.send_activity(texts("documentation.not_a_number", count=count))
        return False

    @staticmethod
    async def _valid_note(prompt: PromptValidatorContext) -> bool:
        text = str(prompt.recognized.value or "")
        if len(text) <= NOTE_LIMIT:
            return True
        texts = Texts.for_locale(prompt.context.activity.locale)
        await prompt.context.send_activity(
            texts("form.errors.too_long", limit=NOTE_LIMIT, length=len(text))
        )
        return False


def start_options(person_id: int, channel: ChannelRow) -> dict[str, Any]:
    """What the dialog needs to know about the round it documents."""
    assert channel.next_documentation_due is not None
    return {
        "person_id": person_id,
        "channel_id": channel.id,
        "due": channel.next_documentation_due.isoformat(),
    }


MAX_CHANNEL_CARDS = 10  # `dokumentera` from someone who edits more shows the first ten


def build(wiring: Wiring) -> Flows:
    """*Dokumentera nu*, the `dokumentera` command and the reminder sweep (R12)."""
    documentation = DocumentationFlow(wiring.services)
    runner = wiring.runner
    runner.add(DIALOG_ID, DocumentationDialog(wiring.services))

    async def start(ctx: ActionContext) -> ActionResult:
        """R12: "Dokumentera nu" begins the round in this chat; the card says it waits."""
        channel, refusal = await documentation.may_document(ctx.person_id, dict(ctx.action.data))
        if channel is None or ctx.person_id is None:
            return ActionResult(message=ctx.texts(refusal or "errors.not_allowed"))
        await runner.begin(ctx.turn_context, DIALOG_ID, start_options(ctx.person_id, channel))
        return ActionResult(message=ctx.texts("documentation.started"))

    async def document(turn_context: TurnContext, person_id: int | None, texts: Texts) -> None:
        """R12: `dokumentera` begins the round of the person's one channel, or shows each
        channel's card with *Dokumentera nu* when they edit several."""
        channels = await documentation.to_document(person_id) if person_id is not None else []
        if person_id is None or not channels:
            await turn_context.send_activity(texts("documentation.nothing_to_document"))
        elif len(channels) == 1:
            await runner.begin(turn_context, DIALOG_ID, start_options(person_id, channels[0]))
        else:
            await turn_context.send_activity(texts("documentation.which_channel"))
            for channel in channels[:MAX_CHANNEL_CARDS]:
                await turn_context.send_activity(
                    card_activity(documentation.reminder_card(channel, texts))
                )

    return Flows(
        verbs={Verb.DOCUMENTATION_START: start},
        commands={"document": document},
        sweeps={"documentation_reminders": documentation.remind},
    )
