"""Consent before publishing (R9, R10): the check, the consent register and the post's address.

    samtycke --> form (channel, identifiable?, use, people, consent per person or from the
    register) --> [signed forms in the chat, one per written consent to upload] --> publish
    (consents recorded, post address asked) | stop (what is missing)

A check that publishes links every consent it relies on (consent_check_consents), so that a
withdrawal later finds the post (dialogs/withdrawal.py). A withdrawn consent is never used again.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, replace
from datetime import timedelta
from typing import Any

from microsoft_agents.activity import Attachment
from microsoft_agents.hosting.core import MessageFactory
from microsoft_agents.hosting.dialogs import (
    ComponentDialog,
    DialogTurnResult,
    WaterfallDialog,
    WaterfallStepContext,
)
from sqlalchemy.ext.asyncio import AsyncSession

from cards.common import ADAPTIVE_CARD_CONTENT_TYPE, note_card
from cards.consent import (
    MAX_ROWS,
    NAME_LIMIT,
    REFERENCE_LIMIT,
    ConsentFormView,
    ConsentOutcomeView,
    ConsentRegisterView,
    MissingLine,
    Option,
    PersonRowValues,
    RegisterLine,
    consent_form_card,
    consent_outcome_card,
    consent_register_card,
)
from cards.i18n import Texts
from cards.verbs import Verb
from dialogs.actor import Actor, load_actor, record_by
from dialogs.channel_views import day, person_name, when
from dialogs.collect import CollectFiles
from dialogs.notify import queue_card, texts_for
from dialogs.services import FlowServices
from dialogs.wiring import ActionContext, ActionResult, Flows, Wiring
from domain.channel_request import Platform, validate_address
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
from domain.documentation import next_office_time
from storage.consents import (
    ACTIVE,
    consents_of,
    count_consents,
    editable_channels,
    posts_by_consent,
    posts_without_address,
    visible_channels,
)
from storage.evidence import add_upload, evidence_of
from storage.models import (
    ChannelRow,
    ConsentCheckConsentRow,
    ConsentCheckRow,
    ConsentRow,
    PersonRow,
)

DIALOG_ID = "consent.forms"
FILES_ID = "consent.forms.files"
REGISTER_LINES = 20
EXPORT_TTL = timedelta(hours=1)
POST_REMINDERS_PER_SWEEP = 500


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    return value.strip() if isinstance(value, str) else ""


def _row_count(data: dict[str, Any]) -> int:
    raw = data.get("rows")
    try:
        count = int(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        count = 1
    return max(1, min(MAX_ROWS, count))


def _rows(data: dict[str, Any], count: int) -> tuple[PersonRowValues, ...]:
    return tuple(
        PersonRowValues(
            name=_text(data, f"p{i}_name"),
            minor=_text(data, f"p{i}_minor") == "true",
            guardian=_text(data, f"p{i}_guardian"),
            form=_text(data, f"p{i}_form"),
            filed=_text(data, f"p{i}_filed"),
        )
        for i in range(count)
    )


def _reuse_ids(data: dict[str, Any]) -> list[int]:
    ids = []
    for part in _text(data, "reuse").split(","):
        if part.strip().isdigit():
            ids.append(int(part.strip()))
    return ids


class ConsentFlow:
    """The consent check (R9, R10), the consent register and the post's address."""

    def __init__(self, services: FlowServices) -> None:
        self._s = services

    # --- the form ---------------------------------------------------------------------------

    async def _form_view(
        self, session: AsyncSession, actor: Actor, data: dict[str, Any] | None = None, **extra: Any
    ) -> ConsentFormView | None:
        texts = actor.texts
        channels = await editable_channels(session, actor.person.id)
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
        count = _row_count(data)
        policy = self._s.policy
        return ConsentFormView(
            channels=tuple(Option(str(c.id), c.name) for c in channels),
            channel_id=_text(data, "channel_id"),
            identifiable=_text(data, "identifiable"),
            use=_text(data, "use"),
            people=_text(data, "people"),
            rows=_rows(data, count),
            reusable=reusable,
            reuse=_text(data, "reuse"),
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
        data = {**data, "rows": min(MAX_ROWS, _row_count(data) + 1)}
        async with self._s.sessions() as session:
            view = await self._form_view(session, actor, data)
        if view is None:
            return None
        return consent_form_card(view, actor.texts)

    # --- the check --------------------------------------------------------------------------

    async def check(self, actor: Actor, data: dict[str, Any]) -> tuple[dict[str, Any], Any]:
        """Validates the form; returns (card, pending) where pending starts the forms dialog."""
        texts = actor.texts
        async with self._s.sessions() as session:
            view = await self._form_view(session, actor, data)
            if view is None:
                return _note(texts("consent.no_channels")), None
            errors = self._errors(view, texts)
            channel_ids = {int(o.value) for o in view.channels}
            reused: list[ConsentRow] = []
            for consent_id in _reuse_ids(data):
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
            return _note(texts("consent.waiting_for_forms", names=names)), options
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
            editable = {c.id for c in await editable_channels(session, actor.person.id)}
            if channel is None or channel.id not in editable:
                return _note(texts("consent.not_editor"))
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
            decision = decide(answers, self._s.policy.consent)
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
                missing=_missing_lines(decision, names, texts),
                covered=tuple(covered),
                ask_post=bool(covered),
                template_url=self._s.policy.templates.consent_template_url
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

    # --- the post's address -------------------------------------------------------------------

    async def post(self, actor: Actor, data: dict[str, Any]) -> dict[str, Any] | None:
        """Records where the post was published, so that a withdrawal can find it."""
        texts = actor.texts
        now = self._s.clock.now()
        raw_id = data.get("check_id")
        async with self._s.sessions.begin() as session:
            check = (
                await session.get(ConsentCheckRow, int(raw_id))
                if str(raw_id or "").isdigit()
                else None
            )
            if check is None:
                return None
            channel = await session.get(ChannelRow, check.channel_id)
            editable = {c.id for c in await editable_channels(session, actor.person.id)}
            if channel is None or channel.id not in editable:
                return _note(texts("consent.not_editor"))
            view = ConsentOutcomeView(
                check_id=check.id, channel_name=channel.name, publish=True, ask_post=True
            )
            if check.post_address:
                return consent_outcome_card(
                    replace(
                        view,
                        post_address=check.post_address,
                        notice=texts("consent.post_already"),
                    ),
                    texts,
                )
            address, error = validate_address(Platform(channel.platform), data.get("post_address"))
            if error is not None or address is None:
                message = texts(f"form.errors.{error.code}", **dict(error.values)) if error else ""
                return consent_outcome_card(
                    replace(view, post_value=_text(data, "post_address"), post_error=message),
                    texts,
                )
            check.post_address = address
            check.post_recorded_at = now
            record_by(
                session,
                actor,
                at=now,
                action="consent.post_recorded",
                subject_type="channel",
                subject_id=channel.id,
                details={"check_id": check.id, "address": address},
            )
            return consent_outcome_card(
                replace(view, post_address=address, notice=texts("consent.post_saved")), texts
            )

    async def remind_posts(self, session: AsyncSession) -> int:
        """Asks once for the address of a published post the editor has not given in time."""
        now = self._s.clock.now()
        days = self._s.policy.consent.post_address_reminder_days
        checks = await posts_without_address(
            session, now - timedelta(days=days), POST_REMINDERS_PER_SWEEP
        )
        for check in checks:
            person = await session.get(PersonRow, check.person_id) if check.person_id else None
            channel = await session.get(ChannelRow, check.channel_id)
            check.post_reminders = (check.post_reminders or 0) + 1
            check.post_reminded_at = now
            if person is None or channel is None:
                continue
            texts = texts_for(person)
            view = ConsentOutcomeView(
                check_id=check.id,
                channel_name=channel.name,
                publish=True,
                ask_post=True,
                notice=texts("consent.post_reminder", checked=when(texts, check.checked_at)),
            )
            await queue_card(
                session,
                person,
                consent_outcome_card(view, texts),
                now,
                dedupe_key=f"consent-post:{check.id}",
                due_at=next_office_time(now, self._s.policy.documentation),
            )
        return len(checks)

    # --- the register -------------------------------------------------------------------------

    async def register(self, actor: Actor) -> dict[str, Any] | str:
        """The consent register of the channels the user edits or manages, with a CSV export."""
        texts = actor.texts
        async with self._s.sessions() as session:
            channels = await visible_channels(session, actor.person.id)
            if not channels:
                return texts("consents.none_visible")
            names = {c.id: c.name for c in channels}
            ids = list(names)
            consents = await consents_of(session, ids)
            total = await count_consents(session, ids)
            posts = await posts_by_consent(session, [c.id for c in consents])
            people = {
                p.id: p
                for p in [
                    await session.get(PersonRow, pid)
                    for pid in {c.recorded_by_person_id for c in consents}
                    if pid is not None
                ]
                if p is not None
            }
            documents = {c.id: await evidence_of(session, "consent", c.id) for c in consents}
        lines = []
        rows = []
        for consent in consents:
            values = _register_values(
                consent, texts, people, posts.get(consent.id, []), documents[consent.id]
            )
            rows.append((consent, values))
            if len(lines) < REGISTER_LINES:
                lines.append(
                    RegisterLine(
                        subject=consent.subject,
                        channel=names[consent.channel_id],
                        facts=tuple(values[1:]),
                        withdrawn=consent.status != ACTIVE,
                    )
                )
        export_url = None
        if rows:
            key, _ = await self._s.documents.store_file(
                _csv(rows, names, texts),
                kind="consent-register",
                filename=texts("consents.export_filename") + ".csv",
                content_type="text/csv",
            )
            export_url = self._s.documents.link(key, EXPORT_TTL)
        view = ConsentRegisterView(
            lines=tuple(lines), more=max(0, total - len(lines)), export_url=export_url
        )
        return consent_register_card(view, texts)


def _register_values(
    consent: ConsentRow,
    texts: Texts,
    people: dict[int, PersonRow],
    posts: list[str],
    documents: list[Any],
) -> list[tuple[str, str]]:
    """The consent's fields as (label, value) pairs; the first is the subject."""
    document = (
        ", ".join(f"{d.filename} (SHA-256 {d.sha256[:12]}…)" for d in documents)
        or consent.document_reference
        or "–"
    )
    recorder = people.get(consent.recorded_by_person_id or -1)
    values = [
        (texts("consents.subject"), consent.subject),
        (texts("consents.minor"), texts("consent.yes") if consent.minor else texts("consent.no")),
        (texts("consents.guardian"), consent.guardian or "–"),
        (texts("consents.scope"), texts(f"consent.use_{consent.scope}")),
        (texts("consents.form"), texts(f"consent.form_{consent.form}")),
        (texts("consents.document"), document),
        (
            texts("consents.recorded"),
            texts(
                "consents.recorded_value",
                who=person_name(texts, recorder),
                when=when(texts, consent.recorded_at),
            ),
        ),
        (texts("consents.posts"), ", ".join(posts) or "–"),
        (texts("consents.status"), texts(f"consents.status_{consent.status}")),
    ]
    return values


def _csv(
    rows: list[tuple[ConsentRow, list[tuple[str, str]]]], names: dict[int, str], texts: Texts
) -> bytes:
    """The register as CSV for the unit: UTF-8 with BOM and ';' as Swedish Excel expects."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    header = [texts("consents.id"), texts("consent.channel")]
    if rows:
        header += [label for label, _ in rows[0][1]]
    writer.writerow(header)
    for consent, values in rows:
        cells = [str(consent.id), names[consent.channel_id], *(v for _, v in values)]
        # A cell starting with = + - @ would be a formula in a spreadsheet.
        writer.writerow([f"'{c}" if c[:1] in ("=", "+", "-", "@") else c for c in cells])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _missing_lines(
    decision: ConsentDecision, names: list[str], texts: Texts
) -> tuple[MissingLine, ...]:
    lines = [
        MissingLine(texts(f"consent.missing_{code.value}", name=names[index]))
        for index, code in decision.missing
    ]
    if decision.unrecorded:
        lines.append(
            MissingLine(
                texts(f"consent.missing_{Missing.UNRECORDED.value}", count=decision.unrecorded)
            )
        )
    return tuple(lines)


def _note(text: str) -> dict[str, Any]:
    return note_card(text)


class ConsentFormsDialog(ComponentDialog):
    """Takes the signed consent form of each written consent to upload, then decides (R10)."""

    def __init__(self, services: FlowServices) -> None:
        super().__init__(DIALOG_ID)
        self._s = services
        self._flow = ConsentFlow(services)
        self.add_dialog(CollectFiles(services, FILES_ID))
        self.add_dialog(WaterfallDialog(f"{DIALOG_ID}.steps", [self._ask, self._keep]))
        self.initial_dialog_id = f"{DIALOG_ID}.steps"

    async def _ask(self, step: WaterfallStepContext) -> DialogTurnResult:
        state = dict(step.options or {})  # type: ignore[call-overload]
        step.values["state"] = state
        index = state["pending"][0]
        texts = Texts.for_locale(step.context.activity.locale)
        name = state["submission"]["rows"][index]["name"]
        await step.context.send_activity(texts("consent.ask_form", name=name))
        return await step.begin_dialog(
            FILES_ID, {"ask": "consent.ask_form_how", "single": True, "reference": True}
        )

    async def _keep(self, step: WaterfallStepContext) -> DialogTurnResult:
        state = step.values["state"]
        index = state["pending"].pop(0)
        result = step.result or {}
        if result.get("files"):
            state["uploads"][str(index)] = result["files"][0]
        elif result.get("reference"):
            state["submission"]["rows"][index]["filed"] = result["reference"]
        if state["pending"]:
            return await step.replace_dialog(f"{DIALOG_ID}.steps", state)
        texts = Texts.for_locale(step.context.activity.locale)
        async with self._s.sessions() as session:
            actor = await load_actor(session, state.get("person_id"), texts)
        if actor is None:
            await step.context.send_activity(texts("errors.not_allowed"))
            return await step.end_dialog()
        content = await self._flow.finish(actor, state["submission"], state["uploads"])
        await step.context.send_activity(
            MessageFactory.attachment(
                Attachment(content_type=ADAPTIVE_CARD_CONTENT_TYPE, content=content)
            )
        )
        return await step.end_dialog()


def build(wiring: Wiring) -> Flows:
    """The verbs, commands and sweeps of this flow."""
    services, runner = wiring.services, wiring.runner
    consent = ConsentFlow(services)
    runner.add(DIALOG_ID, ConsentFormsDialog(services))

    async def check(ctx: ActionContext) -> ActionResult:
        """R9, R10: decides at once, or first takes the signed forms in the chat."""
        actor = await wiring.actor_of(ctx)
        if actor is None:
            return ActionResult(message=ctx.texts("errors.not_allowed"))
        card, pending = await consent.check(actor, dict(ctx.action.data))
        if pending is not None:
            await runner.begin(ctx.turn_context, DIALOG_ID, pending)
        return ActionResult(card=card)

    return Flows(
        verbs={
            Verb.CONSENT_CHECK: check,
            Verb.CONSENT_ADD_PERSON: wiring.acting(consent.add_person),
            Verb.CONSENT_POST: wiring.acting(consent.post),
        },
        commands={
            "consent": wiring.command(lambda _turn, actor: consent.form(actor)),
            "consents": wiring.command(lambda _turn, actor: consent.register(actor)),
        },
        sweeps={"consent_post_reminders": consent.remind_posts},
    )
