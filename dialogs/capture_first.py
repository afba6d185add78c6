"""Capture first, then remove (R11): the task that a deletion and a withdrawn consent share.

    a card with "Spara skärmdump" --> the capture is taken in the chat (one file, kept with its
    SHA-256 as a record) --> the card's "done" button is allowed --> done by whom and when

`CaptureFirst` carries the steps; a flow says what its subject is (a deletion decision, a
removal task), who may act on it, how its status moves and how its card looks. The catalog keys
live under the flow's own prefix (`deletion.*`, `removal.*`): `not_yours`, `already_done`,
`send_capture`, `ask_capture`, `capture_saved`, `capture_first`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from microsoft_agents.hosting.dialogs import (
    ComponentDialog,
    DialogTurnResult,
    WaterfallDialog,
    WaterfallStepContext,
)
from sqlalchemy.ext.asyncio import AsyncSession

from cards.i18n import Texts
from cards.verbs import Verb
from dialogs.actor import Actor, load_actor, record_by, row_id
from dialogs.capture_package import CapturePackage, package_capture
from dialogs.collect import CollectFiles
from dialogs.guard import Request, VerbDeclaration
from dialogs.permissions import Permit
from dialogs.services import FlowServices, StoredUpload
from dialogs.verb_data import VerbData
from dialogs.wiring import Wiring, acting
from storage.evidence import add_upload
from storage.models import ChannelRow

Subject = TypeVar("Subject")


@dataclass(frozen=True)
class CaptureSteps:
    """The names one capture-first task is known by."""

    subject_type: str  # "deletion" | "removal_task": evidence, audit log and card copies
    id_key: str  # the card data's key of the subject's id: "decision_id" | "task_id"
    texts: str  # the catalog prefix: "deletion" | "removal"


class CaptureFirst(ABC, Generic[Subject]):
    """Takes the capture of a subject, then lets it be marked removed: never the other way."""

    steps: CaptureSteps

    def __init__(self, services: FlowServices) -> None:
        self._s = services

    # --- what a flow says about its subject ---------------------------------------------------

    @abstractmethod
    async def subject(
        self, session: AsyncSession, actor: Actor, subject_id: int | None
    ) -> Subject | None:
        """The subject when the actor may act on it, else None."""

    @abstractmethod
    def subject_id(self, subject: Subject) -> int:
        """The subject's row id."""

    @abstractmethod
    def is_done(self, subject: Subject) -> bool:
        """The subject is removed already."""

    @abstractmethod
    def is_captured(self, subject: Subject) -> bool:
        """The capture is kept and the removal may be recorded."""

    @abstractmethod
    def mark_captured(self, subject: Subject, now: datetime) -> None:
        """Moves the subject's status after its capture."""

    @abstractmethod
    def mark_done(self, subject: Subject, actor: Actor, now: datetime) -> dict[str, Any]:
        """Moves the subject's status to removed; returns the audit event's details."""

    @abstractmethod
    async def card(
        self, session: AsyncSession, subject: Subject, texts: Texts, notice: str | None = None
    ) -> dict[str, Any]:
        """The subject's card for the actor, with a notice where one is due."""

    def may_capture_now(self, subject: Subject) -> str | None:
        """The catalog key of why no capture is asked for (None: it may begin)."""
        return f"{self.steps.texts}.already_done" if self.is_done(subject) else None

    def may_finish_now(self, subject: Subject) -> str | None:
        """The catalog key of why it cannot be marked removed yet (None: it may)."""
        if self.is_done(subject):
            return f"{self.steps.texts}.already_done"
        if not self.is_captured(subject):
            return f"{self.steps.texts}.capture_first"
        return None

    async def changed(
        self, session: AsyncSession, subject: Subject, except_activity: str | None
    ) -> bool:
        """After a capture or a removal: updates other copies; True when it queued any."""
        return False

    # --- the steps ----------------------------------------------------------------------------

    async def may_capture(self, actor: Actor, data: dict[str, Any]) -> tuple[int | None, str]:
        """The subject whose capture may begin, or the catalog key of why not."""
        async with self._s.sessions() as session:
            subject = await self.subject(session, actor, row_id(data.get(self.steps.id_key)))
            if subject is None:
                return None, f"{self.steps.texts}.not_yours"
            refusal = self.may_capture_now(subject)
            if refusal is not None:
                return None, refusal
            return self.subject_id(subject), f"{self.steps.texts}.send_capture"

    async def captured(self, actor: Actor, subject_id: int, upload: dict[str, Any]) -> str:
        """R11: the capture is kept as a record before the removal."""
        texts = actor.texts
        now = self._s.clock.now()
        queued = False
        packaged = await self._package(actor, subject_id, upload, now)
        async with self._s.sessions.begin() as session:
            subject = await self.subject(session, actor, subject_id)
            if subject is None:
                return texts(f"{self.steps.texts}.not_yours")
            if self.is_done(subject):
                return texts(f"{self.steps.texts}.already_done")
            add_upload(
                session,
                upload,
                subject_type=self.steps.subject_type,
                subject_id=subject_id,
                purpose="capture",
                by=actor.person.id,
                at=now,
            )
            self.mark_captured(subject, now)
            record_by(
                session,
                actor,
                at=now,
                action=f"{self.steps.subject_type}.captured",
                subject_type=self.steps.subject_type,
                subject_id=subject_id,
                details={"sha256": upload["sha256"], "filename": upload["filename"]},
            )
            if packaged is not None:  # R11: the capture to the records mailbox
                packaged.queue(session, actor.person, now)
            await session.flush()
            queued = await self.changed(session, subject, None) or packaged is not None
        if queued:
            self._s.wake_delivery()
        return texts(f"{self.steps.texts}.capture_saved")

    async def _package(
        self, actor: Actor, subject_id: int, upload: dict[str, Any], now: datetime
    ) -> CapturePackage | None:
        """R11: the capture as a records package, built before the capture's transaction."""
        async with self._s.sessions() as session:
            subject = await self.subject(session, actor, subject_id)
            if subject is None or self.is_done(subject):
                return None
            channel = await session.get(ChannelRow, subject.channel_id)  # type: ignore[attr-defined]
        return await package_capture(
            self._s, channel, actor.person, StoredUpload(**upload), self.steps.subject_type, now
        )

    async def done(self, actor: Actor, data: dict[str, Any]) -> dict[str, Any] | None:
        """The material is removed: only after its capture (R11)."""
        texts = actor.texts
        now = self._s.clock.now()
        queued = False
        async with self._s.sessions.begin() as session:
            subject = await self.subject(session, actor, row_id(data.get(self.steps.id_key)))
            if subject is None:
                return None
            refusal = self.may_finish_now(subject)
            if refusal is not None:
                notice = texts(refusal) if refusal else None
                return await self.card(session, subject, texts, notice)
            details = self.mark_done(subject, actor, now)
            record_by(
                session,
                actor,
                at=now,
                action=f"{self.steps.subject_type}.done",
                subject_type=self.steps.subject_type,
                subject_id=self.subject_id(subject),
                details=details,
            )
            await session.flush()
            queued = await self.changed(session, subject, actor.activity_id)
            result = await self.card(session, subject, texts)
        if queued:
            self._s.wake_delivery()
        return result


class CaptureFirstDialog(ComponentDialog):
    """Takes the one file of a capture in the chat and hands it to the flow (R11)."""

    def __init__(
        self, services: FlowServices, flow: CaptureFirst[Any], dialog_id: str, files_id: str
    ) -> None:
        super().__init__(dialog_id)
        self._s = services
        self._flow = flow
        self.add_dialog(CollectFiles(services, files_id))
        self.add_dialog(WaterfallDialog(f"{dialog_id}.steps", [self._ask, self._keep]))
        self.initial_dialog_id = f"{dialog_id}.steps"
        self._files_id = files_id

    async def _ask(self, step: WaterfallStepContext) -> DialogTurnResult:
        step.values["options"] = dict(step.options or {})  # type: ignore[call-overload]
        ask = f"{self._flow.steps.texts}.ask_capture"
        return await step.begin_dialog(self._files_id, {"ask": ask, "single": True})

    async def _keep(self, step: WaterfallStepContext) -> DialogTurnResult:
        texts = Texts.for_locale(step.context.activity.locale)
        # A dialog begun before this module kept its options as "task" (removal) or "options".
        options = step.values.get("options") or step.values.get("task") or {}
        subject_id = row_id(options.get("subject_id") or options.get("task_id"))
        files = (step.result or {}).get("files") or []
        async with self._s.sessions() as session:
            actor = await load_actor(
                session, options.get("person_id"), texts, organisations=self._s.organisations
            )
        if actor is None or not files or subject_id is None:
            await step.context.send_activity(texts("errors.not_allowed"))
            return await step.end_dialog()
        await step.context.send_activity(await self._flow.captured(actor, subject_id, files[0]))
        return await step.end_dialog()


def capture_first_verbs(
    wiring: Wiring,
    flow: CaptureFirst[Any],
    ids: tuple[str, str],
    verbs: tuple[Verb, Verb],
    data: type[VerbData],
    permit: Permit,
) -> dict[Verb, VerbDeclaration]:
    """R11: the capture and "done" buttons of a capture-first flow, declared with one permit;
    the dialog (`ids`: its id and its files prompt's) takes the capture in the chat."""
    dialog_id, files_id = ids
    wiring.runner.add(dialog_id, CaptureFirstDialog(wiring.services, flow, dialog_id, files_id))

    async def capture(request: Request[Any]) -> str:
        """The card button that begins the capture in this chat; the card stays as it is."""
        actor = request.actor
        subject_id, key = await flow.may_capture(actor, request.data)
        if subject_id is not None:
            options = {"person_id": actor.person.id, "subject_id": subject_id}
            request.then(lambda: wiring.runner.begin(request.turn_context, dialog_id, options))
        return actor.texts(key)

    capture_verb, done_verb = verbs
    return {
        **wiring.verb(capture_verb, data, permit, capture),
        **wiring.verb(done_verb, data, permit, acting(flow.done)),
    }
