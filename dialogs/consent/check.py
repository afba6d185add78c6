"""The consent check (R9, R10): the form, the decision, and the consents it records."""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cards.common import note_card
from cards.consent import (
    MAX_ROWS,
    NAME_LIMIT,
    REFERENCE_LIMIT,
    ConsentFormView,
    ConsentOutcomeView,
    MissingLine,
    Option,
    consent_form_card,
    consent_outcome_card,
)
from cards.i18n import Texts
from dialogs.actor import Actor, record_by
from dialogs.channel_views import day
from dialogs.consent.form_data import reuse_ids, row_count, rows_of, text_of
from dialogs.services import FlowServices
from domain.consent import (
    ConsentAnswers,
    ConsentDecision,
    ConsentForm,
    Missing,
    Outcome,
    Subject,
    Use,
    decide,
)
from storage.consents import (
    ACTIVE,
    consents_of,
    editable_channels,
)
from storage.evidence import add_upload
from storage.models import (
    ChannelRow,
    ConsentCheckConsentRow,
    ConsentCheckRow,
    ConsentRow,
)


class ConsentFlow:
    """The consent check (R9, R10): the form, then publish or stop."""

    def __init__(self, services: FlowServices) -> None:
        self._s = services

    async def _form_view(
        self, session: AsyncSession, actor: Actor, data: dict[str, Any] | None = None, **extra: Any
    ) -> ConsentFormView | None:
        texts = actor.texts
        channels = await editable_channels(session, actor.person.id, organisation=actor.scope)
        if not channels:
            return None
        names = {c.id: c.name for c in channels}
        reusable = tuple(
            Option(
                str(c.id),
                texts(
                    "consent.reuse_option",
                    subject=c.subject,
                    channel=names[c.channel_id],
                    recorded=day(texts, c.recorded_at.date()),
                ),
            )
            for c in await consents_of(session, list(names), status=ACTIVE, limit=50)
            if c.form == ConsentForm.WRITTEN.value
        )
        data = data or {}
        count = row_count(data)
        policy = self._s.policy_among(channels)
        return ConsentFormView(
            channels=tuple(Option(str(c.id), c.name) for c in channels),
            channel_id=text_of(data, "channel_id"),
            identifiable=text_of(data, "identifiable"),
            use=text_of(data, "use"),
            people=text_of(data, "people"),
            rows=rows_of(data, count),
            reusable=reusable,
            reuse=text_of(data, "reuse"),
            guardian_age=policy.consent.guardian_age,
            template_url=policy.templates.consent_template_url,
            **extra,
        )

    async def form(self, actor: Actor) -> dict[str, Any] | str:
        """The consent check form for the channels the user edits; a sentence when none."""
        async with self._s.sessions() as session:
            view = await self._form_view(session, actor)
        if view is None:
            return actor.texts("consent.no_channels")
        return consent_form_card(view, actor.texts)

    async def add_person(self, actor: Actor, data: dict[str, Any]) -> dict[str, Any] | None:
        """The same form with one more person's row, keeping what was typed."""
        data = {**data, "rows": min(MAX_ROWS, row_count(data) + 1)}
        async with self._s.sessions() as session:
            view = await self._form_view(session, actor, data)
        if view is None:
            return None
        return consent_form_card(view, actor.texts)

    async def check(self, actor: Actor, data: dict[str, Any]) -> tuple[dict[str, Any], Any]:
        """Validates the form; returns (card, pending) where pending starts the forms dialog."""
        texts = actor.texts
        async with self._s.sessions() as session:
            view = await self._form_view(session, actor, data)
            if view is None:
                return note_card(texts("consent.no_channels")), None
            errors = self._errors(view, texts)
            channel_ids = {int(o.value) for o in view.channels}
            reused: list[ConsentRow] = []
            for consent_id in reuse_ids(data):
                consent = await session.get(ConsentRow, consent_id)
                if consent is None or str(consent.channel_id) != view.channel_id:
                    errors["reuse"] = texts("consent.reuse_other_channel")
                    continue
                reused.append(consent)
            if errors or not view.channel_id.isdigit() or int(view.channel_id) not in channel_ids:
                errors = errors or {"channel_id": texts("consent.choose")}
                shown = replace(view, errors=errors, notice=texts("consent.fix_errors"))
                return consent_form_card(shown, texts), None
        submission = {
            "channel_id": int(view.channel_id),
            "identifiable": view.identifiable == "yes",
            "use": view.use,
            "people": int(view.people) if view.people.isdigit() else 0,
            "rows": [asdict(row) for row in view.rows if row.name],
            "reuse": [c.id for c in reused],
        }
        pending = [
            index
            for index, row in enumerate(submission["rows"])
            if submission["identifiable"] and row["form"] == "written" and not row["filed"]
        ]
        if pending:
            names = ", ".join(submission["rows"][i]["name"] for i in pending)
            options = {
                "person_id": actor.person.id,
                "submission": submission,
                "pending": pending,
                "uploads": {},
            }
            return note_card(texts("consent.waiting_for_forms", names=names)), options
        return await self.finish(actor, submission, {}), None

    def _errors(self, view: ConsentFormView, texts: Texts) -> dict[str, str]:
        errors: dict[str, str] = {}
        if view.identifiable not in ("yes", "no"):
            errors["identifiable"] = texts("consent.choose")
        if view.use not in (Use.ONE_POST.value, Use.SEVERAL_CONTEXTS.value):
            errors["use"] = texts("consent.choose")
        if view.people and not view.people.isdigit():
            errors["people"] = texts("consent.not_a_number")
        for index, row in enumerate(view.rows):
            filled = row.guardian or row.form or row.filed or row.minor
            if filled and not row.name:
                errors[f"p{index}_name"] = texts("consent.name_required")
            if row.name and row.form not in ("none", "oral", "written"):
                errors[f"p{index}_form"] = texts("consent.choose")
            for key, value, limit in (
                ("name", row.name, NAME_LIMIT),
                ("guardian", row.guardian, NAME_LIMIT),
                ("filed", row.filed, REFERENCE_LIMIT),
            ):
                if len(value) > limit:
                    errors[f"p{index}_{key}"] = texts(
                        "form.errors.too_long", limit=limit, length=len(value)
                    )
        return errors

    async def finish(
        self, actor: Actor, submission: dict[str, Any], uploads: dict[str, dict[str, Any]]
    ) -> dict[str, Any]:
        """Decides (R9, R10), records the check and, on publish, the consents; the outcome card."""
        texts = actor.texts
        now = self._s.clock.now()
        async with self._s.sessions.begin() as session:
            channel = await session.get(ChannelRow, int(submission["channel_id"]))
            editable = {
                c.id
                for c in await editable_channels(
                    session, actor.person.id, organisation=actor.scope
                )
            }
            if channel is None or channel.id not in editable:
                return note_card(texts("consent.not_editor"))
            rows = submission["rows"]
            reused = [
                consent
                for consent_id in submission["reuse"]
                if (consent := await session.get(ConsentRow, consent_id)) is not None
                and consent.channel_id == channel.id
            ]
            subjects = [
                Subject(
                    form=ConsentForm(row["form"]),
                    minor=bool(row["minor"]),
                    guardian_named=bool(row["guardian"]),
                    document=bool(row["filed"]) or str(index) in uploads,
                )
                for index, row in enumerate(rows)
            ]
            # A consent from the register counts only while active (R9: never a withdrawn one).
            subjects += [
                Subject(
                    form=ConsentForm(consent.form),
                    minor=consent.minor,
                    guardian_named=bool(consent.guardian),
                    document=True,
                    withdrawn=consent.status != ACTIVE,
                )
                for consent in reused
            ]
            answers = ConsentAnswers(
                identifiable=bool(submission["identifiable"]),
                use=Use(submission["use"]),
                people=max(int(submission["people"]), len(subjects)),
                subjects=tuple(subjects),
            )
            decision = decide(answers, self._s.policy_for(channel).consent)
            names = [row["name"] for row in rows] + [c.subject for c in reused]
            check = ConsentCheckRow(
                channel_id=channel.id,
                person_id=actor.person.id,
                answers=submission,
                outcome=decision.outcome.value,
                missing={
                    "items": [[names[i], code.value] for i, code in decision.missing],
                    "unrecorded": decision.unrecorded,
                },
                checked_at=now,
                post_reminders=0,
                details={},
            )
            session.add(check)
            await session.flush()
            record_by(
                session,
                actor,
                at=now,
                action="consent.checked",
                subject_type="channel",
                subject_id=channel.id,
                details={
                    "check_id": check.id,
                    "outcome": decision.outcome.value,
                    "missing": [code.value for _, code in decision.missing],
                    "unrecorded": decision.unrecorded,
                },
            )
            covered: list[str] = []
            if decision.outcome is Outcome.PUBLISH and answers.identifiable:
                covered = await self._record(
                    session, actor, channel, check, rows, uploads, reused, answers.use
                )
            view = ConsentOutcomeView(
                check_id=check.id,
                channel_name=channel.name,
                publish=decision.outcome is Outcome.PUBLISH,
                missing=_missing_lines(
                    decision, names, texts, self._s.policy_for(channel).consent.guardian_age
                ),
                covered=tuple(covered),
                ask_post=bool(covered),
                template_url=self._s.policy_for(channel).templates.consent_template_url
                if decision.needs_written
                else "",
            )
        return consent_outcome_card(view, texts)

    async def _record(
        self,
        session: AsyncSession,
        actor: Actor,
        channel: ChannelRow,
        check: ConsentCheckRow,
        rows: list[dict[str, Any]],
        uploads: dict[str, dict[str, Any]],
        reused: list[ConsentRow],
        use: Use,
    ) -> list[str]:
        """R9, R10: each new consent in the register, linked with the reused ones to the check."""
        now = self._s.clock.now()
        covered = []
        for index, row in enumerate(rows):
            upload = uploads.get(str(index))
            consent = ConsentRow(
                channel_id=channel.id,
                subject=row["name"],
                minor=bool(row["minor"]),
                guardian=row["guardian"] or None,
                scope=use.value,
                form=row["form"],
                document_reference=row["filed"] or None,
                status=ACTIVE,
                recorded_by_person_id=actor.person.id,
                recorded_at=now,
                details={},
            )
            session.add(consent)
            await session.flush()
            if upload is not None:
                add_upload(
                    session,
                    upload,
                    subject_type="consent",
                    subject_id=consent.id,
                    purpose="consent_form",
                    by=actor.person.id,
                    at=now,
                )
            session.add(ConsentCheckConsentRow(check_id=check.id, consent_id=consent.id))
            record_by(
                session,
                actor,
                at=now,
                action="consent.recorded",
                subject_type="consent",
                subject_id=consent.id,
                details={
                    "channel_id": channel.id,
                    "check_id": check.id,
                    "form": consent.form,
                    "scope": consent.scope,
                    "minor": consent.minor,
                    "document_sha256": upload["sha256"] if upload else None,
                },
            )
            covered.append(row["name"])
        for consent in reused:
            session.add(ConsentCheckConsentRow(check_id=check.id, consent_id=consent.id))
            covered.append(consent.subject)
        return covered


def _missing_lines(
    decision: ConsentDecision, names: list[str], texts: Texts, age: int
) -> tuple[MissingLine, ...]:
    lines = [
        MissingLine(texts(f"consent.missing_{code.value}", name=names[index], age=age))
        for index, code in decision.missing
    ]
    if decision.unrecorded:
        lines.append(
            MissingLine(
                texts(f"consent.missing_{Missing.UNRECORDED.value}", count=decision.unrecorded)
            )
        )
    return tuple(lines)
