"""A dialog step that takes files from the chat (or, where allowed, where they are filed).

Used wherever a decision needs a file kept as its record: the signed consent form (R10), a
capture before a post is removed or deleted (R11), a closing export and final screenshots (R13).
The files are stored and checked by `FlowServices.records` (PNG, JPEG or PDF by their first
bytes, size-limited, SHA-256); the dialog ends with

    {"files": [asdict(StoredUpload), ...], "reference": str | None}

Options (a dict passed to `begin_dialog`):
    ask        catalog key of the question (placeholder {max_mb} is filled)
    single     end as soon as one file is stored (default False: until "klar")
    reference  accept a typed text as where the file is filed instead (default False)
    archives   accept ZIP files too, e.g. a platform's full export (default False)
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from microsoft_agents.hosting.dialogs import Dialog, DialogContext, DialogTurnResult

from cards.i18n import Texts, raw_catalog
from dialogs.services import FlowServices
from dialogs.state import checkpoint

# A reference is where a paper or file is filed ("Diarienummer 2026/123", "G:/Samtycken/..").
REFERENCE_LIMIT = 300


def _done_words(texts: Texts) -> set[str]:
    return {w.casefold() for w in raw_catalog(texts.language)["uploads"]["done_words"]}


class CollectFiles(Dialog):
    """Takes files message after message; ends with the files (and/or a reference)."""

    def __init__(self, services: FlowServices, dialog_id: str) -> None:
        super().__init__(dialog_id)
        self._s = services

    def _max_mb(self) -> int:
        return self._s.policy.documentation.max_file_mb

    async def begin_dialog(self, dc: DialogContext, options: object = None) -> DialogTurnResult:
        """Asks the question of the options."""
        settings = dict(options or {})  # type: ignore[call-overload]
        state = dc.active_dialog.state
        state["files"] = []
        state["single"] = bool(settings.get("single", False))
        state["reference"] = bool(settings.get("reference", False))
        state["archives"] = bool(settings.get("archives", False))
        texts = Texts.for_locale(dc.context.activity.locale)
        await dc.context.send_activity(texts(str(settings["ask"]), max_mb=self._max_mb()))
        return Dialog.end_of_turn

    async def continue_dialog(self, dc: DialogContext) -> DialogTurnResult:
        """Stores the message's files, takes a reference, or ends when the person is done."""
        texts = Texts.for_locale(dc.context.activity.locale)
        state = dc.active_dialog.state
        files: list[dict[str, Any]] = state["files"]
        text = (dc.context.activity.text or "").strip()
        attachments = [
            a
            for a in (dc.context.activity.attachments or [])
            if (a.content_type or "") != "text/html"
        ]
        if attachments and self._s.records is not None:
            # Teams adds a text/html copy of every message; collect() ignores it.
            stored, refused = await self._s.records.collect(
                dc.context, archives=bool(state.get("archives"))
            )
            files.extend(asdict(f) for f in stored)
            for name, code in refused:
                key = (
                    "archive_type"
                    if code == "unsupported_type" and state.get("archives")
                    else code
                )
                reason = texts(f"uploads.reason_{key}", max_mb=self._max_mb())
                await dc.context.send_activity(texts("uploads.refused", name=name, reason=reason))
            if stored and state["single"]:
                return await dc.end_dialog({"files": files, "reference": None})
            if stored:
                await checkpoint(dc.context)  # what the count claims is committed first
                await dc.context.send_activity(texts("uploads.received", count=len(files)))
            return Dialog.end_of_turn
        if text.casefold().strip(".!") in _done_words(texts):
            if files:
                return await dc.end_dialog({"files": files, "reference": None})
            key = "uploads.need_file_or_reference" if state["reference"] else "uploads.need_file"
            await dc.context.send_activity(texts(key))
            return Dialog.end_of_turn
        if text and state["reference"] and not files:
            if len(text) > REFERENCE_LIMIT:
                await dc.context.send_activity(
                    texts("form.errors.too_long", limit=REFERENCE_LIMIT, length=len(text))
                )
                return Dialog.end_of_turn
            return await dc.end_dialog({"files": [], "reference": text})
        key = "uploads.need_file_or_reference" if state["reference"] else "uploads.need_file"
        await dc.context.send_activity(texts(key))
        return Dialog.end_of_turn
