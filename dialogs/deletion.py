"""Before deleting (R11): what the records plan's culling rules say, and the capture first.

radera --> what, where, covered by the latest documentation? --> delete | capture first
(a screenshot in the chat, kept with its SHA-256, then "deleted") | keep | close the channel
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from cards.common import note_card
from cards.consent import Option
from cards.i18n import Texts
from cards.records import (
    DESCRIPTION_LIMIT,
    DeletionFormView,
    DeletionOutcomeView,
    deletion_form_card,
    deletion_outcome_card,
)
from cards.verbs import Verb
from dialogs.actor import Actor, record_by, row_id
from dialogs.capture_first import CaptureFirst, CaptureSteps, capture_first_verbs
from dialogs.channel_views import day, person_name, when
from dialogs.permissions import NOBODY, Permit, Role
from dialogs.verb_data import DeletionData, DeletionStepData
from dialogs.wiring import Flows, Wiring, acting
from domain.lifecycle import ChannelStatus
from domain.records import DeletionKind, DeletionOutcome, deletion_outcome
from storage.consents import visible_channels
from storage.evidence import evidence_of
from storage.models import ChannelRow, DeletionDecisionRow, DocumentationRoundRow, PersonRow

DIALOG_ID = "deletion.capture"
FILES_ID = "records.files"


def _id(data: dict[str, Any], key: str) -> int | None:
    return row_id(data.get(key))


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # a typed row id (dialogs/verb_data.py), shown back in the form
    return value.strip() if isinstance(value, str) else ""


async def _live_channels(session: AsyncSession, actor: Actor) -> list[ChannelRow]:
    """Active channels where the person is an accepted editor or the manager."""
    return [
        c
        for c in await visible_channels(session, actor.person.id, organisation=actor.scope)
        if c.status in (ChannelStatus.ACTIVE.value, ChannelStatus.CLOSING.value)
    ]


async def _last_documented(session: AsyncSession, channel_id: int) -> datetime | None:
    return await session.scalar(
        select(func.max(DocumentationRoundRow.completed_at)).where(
            DocumentationRoundRow.channel_id == channel_id
        )
    )


class DeletionFlow(CaptureFirst[DeletionDecisionRow]):
    """R11: what the records plan says before an image, a post or a comment is deleted."""

    steps = CaptureSteps(subject_type="deletion", id_key="decision_id", texts="deletion")

    async def _form(
        self, session: AsyncSession, actor: Actor, data: dict[str, Any] | None = None
    ) -> DeletionFormView | None:
        channels = [
            c
            for c in await _live_channels(session, actor)
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
            records_plan_url=self._s.policy_among(channels).templates.records_plan_url,
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
                kind,
                view.covered == "yes",
                view.passing == "yes",
                self._s.policy_for(channel).records,
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
                    "rule": self._s.policy_for(channel).records.rule_for(kind.value),
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

    async def subject(
        self, session: AsyncSession, actor: Actor, subject_id: int | None
    ) -> DeletionDecisionRow | None:
        """The decision, when it concerns a live channel the actor edits or manages."""
        decision = await session.get(DeletionDecisionRow, subject_id) if subject_id else None
        if decision is None:
            return None
        live = {c.id for c in await _live_channels(session, actor)}
        return decision if decision.channel_id in live else None

    def subject_id(self, subject: DeletionDecisionRow) -> int:
        return subject.id

    def is_done(self, subject: DeletionDecisionRow) -> bool:
        return subject.status == "done"

    def is_captured(self, subject: DeletionDecisionRow) -> bool:
        return subject.status == "captured"

    def may_capture_now(self, subject: DeletionDecisionRow) -> str | None:
        if subject.outcome != DeletionOutcome.CAPTURE_FIRST.value:
            return "deletion.not_yours"  # only "capture first" asks for a capture
        return super().may_capture_now(subject)

    def may_finish_now(self, subject: DeletionDecisionRow) -> str | None:
        if subject.outcome != DeletionOutcome.CAPTURE_FIRST.value:
            return ""  # nothing to record: the card as it is, without a notice
        return super().may_finish_now(subject)

    def mark_captured(self, subject: DeletionDecisionRow, now: datetime) -> None:
        if subject.status == "decided":
            subject.status = "captured"

    def mark_done(
        self, subject: DeletionDecisionRow, actor: Actor, now: datetime
    ) -> dict[str, Any]:
        subject.status = "done"
        subject.completed_at = now
        return {"channel_id": subject.channel_id}

    async def card(
        self,
        session: AsyncSession,
        subject: DeletionDecisionRow,
        texts: Texts,
        notice: str | None = None,
    ) -> dict[str, Any]:
        view = await self._view(session, subject, texts)
        return deletion_outcome_card(replace(view, notice=notice) if notice else view, texts)


def build(wiring: Wiring) -> Flows:
    """The verbs and the command of this flow."""
    deletion = DeletionFlow(wiring.services)
    # R11: the channel's editors and its manager decide what is deleted, and how.
    step = Permit(
        may=Role.EDITOR | Role.MANAGER,
        sees=Role.EDITOR | Role.MANAGER,
        rules="R11",
        summary="a step of a deletion decision",
    )
    check = replace(
        step, may_new=Role.EMPLOYEE, summary="what the records plan says before deleting"
    )
    return Flows(
        verbs={
            **wiring.verb(Verb.DELETION_CHECK, DeletionData, check, acting(deletion.check)),
            **capture_first_verbs(
                wiring,
                deletion,
                (DIALOG_ID, FILES_ID),
                (Verb.DELETION_CAPTURE, Verb.DELETION_DONE),
                DeletionStepData,
                step,
            ),
        },
        commands=wiring.command(
            "delete",
            Permit(may=NOBODY, may_new=Role.EMPLOYEE, rules="R11", summary="the deletion form"),
            lambda _turn, actor: deletion.form(actor),
        ),
    )
