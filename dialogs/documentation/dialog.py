"""The documentation round in the chat (R12): files (and Kanalkollen's own capture) until "klar",
the start page, a note, then the round is completed."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from microsoft_agents.hosting.core import MessageFactory
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

from cards.i18n import Texts, raw_catalog
from dialogs.actor import load_actor
from dialogs.capture import WARC_TYPE, CaptureFlow
from dialogs.documentation.round import DocumentationRound
from dialogs.services import FlowServices, StoredUpload
from dialogs.state import checkpoint
from storage.models import (
    ChannelRow,
)

DIALOG_ID = "documentation"

FILES_ID = "documentation.files"

START_PAGE_ID = "documentation.start_page"

NOTE_ID = "documentation.note"

NOTE_LIMIT = 2000


def _words(texts: Texts, key: str) -> set[str]:
    return {w.casefold() for w in raw_catalog(texts.language)["documentation"][key]}


class CollectFiles(Dialog):
    """Takes files message after message until the editor says they are done."""

    def __init__(self, services: FlowServices) -> None:
        super().__init__(FILES_ID)
        self._s = services
        self._captures = CaptureFlow(services)
        # Issue 24 (12): a capture requested before this process started was cut off by a
        # restart (kill -9, a deploy); its row stays "running" under the dead process's lease
        # for minutes. "klar" waits only for captures this process can still bring; one cut
        # off is taken again later and shown in the chat, but the round does not wait for it.
        self._started = services.clock.now()

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
            since=self._started,
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
        self._flow = DocumentationRound(services)
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
            actor = await load_actor(
                session, round_.get("person_id"), texts, organisations=self._s.organisations
            )
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
            organisation=actor.scope,
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
