"""Withdrawal of consent (R9) and removal tasks that follow the records rules (R11).

    återkalla samtycke --> pick the consent --> withdrawn; for every post that relied on it a
    removal task, a card to every editor of the channel --> capture the post (a screenshot in
    the chat, kept with its SHA-256) --> "the post is removed" --> every copy shows "done by …"

Open tasks remind the editors every `consent.removal_reminder_days` and reach the manager after
`consent.removal_escalate_after_days`. A channel is not closed while one is open (R13).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cards.consent import Option
from cards.i18n import Texts
from cards.withdrawal import (
    NOTE_LIMIT,
    RemovalEscalationView,
    RemovalTaskView,
    WithdrawFormView,
    removal_escalation_card,
    removal_task_card,
    withdraw_form_card,
)
from dialogs.actor import Actor, record_by, row_id
from dialogs.capture_first import CaptureFirst, CaptureSteps
from dialogs.channel_views import day, person_name, when
from dialogs.notify import queue_card, queue_updates, texts_for
from dialogs.services import FlowServices
from domain.documentation import next_office_time
from storage.audit import record_event
from storage.channels import EditorStatus, editors_of
from storage.consents import (
    ACTIVE,
    WITHDRAWN,
    TaskStatus,
    checks_relying_on,
    consents_of,
    may_see_channel,
    tasks_needing_attention,
    visible_channels,
)
from storage.evidence import evidence_of
from storage.models import (
    CardCopyRow,
    ChannelRow,
    ConsentRow,
    PersonRow,
    RemovalTaskRow,
)
from storage.organisations import channel_ids_within
from storage.removals import posts_per_consent

DIALOG_ID = "removal.capture"
FILES_ID = "removal.capture.files"
TASKS_PER_SWEEP = 500


def _id(data: dict[str, Any], key: str) -> int | None:
    return row_id(data.get(key))


class WithdrawalFlow(CaptureFirst[RemovalTaskRow]):
    """Withdraws consents and carries the removal tasks to the end (R9, R11)."""

    steps = CaptureSteps(subject_type="removal_task", id_key="task_id", texts="removal")

    def __init__(self, services: FlowServices) -> None:
        self._s = services

    # --- withdrawal ---------------------------------------------------------------------------

    async def _choices(self, session: AsyncSession, actor: Actor) -> tuple[Option, ...]:
        texts = actor.texts
        channels = await visible_channels(session, actor.person.id, organisation=actor.scope)
        names = {c.id: c.name for c in channels}
        consents = await consents_of(session, list(names), status=ACTIVE, limit=100)
        posts = await posts_per_consent(session, [c.id for c in consents])
        return tuple(
            Option(
                str(c.id),
                texts(
                    "withdrawal.option",
                    subject=c.subject,
                    channel=names[c.channel_id],
                    recorded=day(texts, c.recorded_at.date()),
                    posts=posts.get(c.id, 0),
                ),
            )
            for c in consents
        )

    async def form(self, actor: Actor) -> dict[str, Any] | str:
        """The consents the user may withdraw: those of channels they edit or manage."""
        async with self._s.sessions() as session:
            choices = await self._choices(session, actor)
        if not choices:
            return actor.texts("withdrawal.nothing")
        return withdraw_form_card(WithdrawFormView(consents=choices), actor.texts)

    async def withdraw(self, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
        """R9: records the withdrawal; R11: a removal task for every post that relied on it."""
        texts = actor.texts
        now = self._s.clock.now()
        note = str(data.get("note") or "").strip()
        consent_id = _id(data, "consent_id")
        async with self._s.sessions.begin() as session:
            choices = await self._choices(session, actor)
            view = WithdrawFormView(consents=choices, value=str(consent_id or ""), note=note)
            consent = await session.get(ConsentRow, consent_id) if consent_id else None
            if consent is None or not await may_see_channel(
                session, actor.person.id, consent.channel_id, organisation=actor.scope
            ):
                if not choices:
                    return withdraw_form_card(
                        replace(view, done=texts("withdrawal.nothing")), texts
                    )
                return withdraw_form_card(replace(view, error=texts("withdrawal.choose")), texts)
            if len(note) > NOTE_LIMIT:
                return withdraw_form_card(
                    replace(
                        view,
                        notice=texts("form.errors.too_long", limit=NOTE_LIMIT, length=len(note)),
                    ),
                    texts,
                )
            if consent.status != ACTIVE:
                return withdraw_form_card(
                    replace(view, done=texts("withdrawal.already", subject=consent.subject)), texts
                )
            # Claimed with a conditional update: of two editors withdrawing at once, one wins.
            claimed = await session.execute(
                update(ConsentRow)
                .where(ConsentRow.id == consent.id, ConsentRow.status == ACTIVE)
                .values(
                    status=WITHDRAWN,
                    withdrawn_at=now,
                    withdrawn_by_person_id=actor.person.id,
                    withdrawal_note=note or None,
                )
                .execution_options(synchronize_session=False)
            )
            if getattr(claimed, "rowcount", 0) != 1:
                return withdraw_form_card(
                    replace(view, done=texts("withdrawal.already", subject=consent.subject)), texts
                )
            await session.refresh(consent)
            record_by(
                session,
                actor,
                at=now,
                action="consent.withdrawn",
                subject_type="consent",
                subject_id=consent.id,
                details={"channel_id": consent.channel_id},
            )
            tasks = await self._tasks_for(session, consent, now)
            done = texts("withdrawal.done", subject=consent.subject, count=len(tasks))
        self._s.wake_delivery()
        return withdraw_form_card(replace(view, done=done), texts)

    async def _tasks_for(
        self, session: AsyncSession, consent: ConsentRow, now: datetime
    ) -> list[RemovalTaskRow]:
        """One removal task per post that relied on the consent, sent to every editor."""
        tasks = []
        for check in await checks_relying_on(session, consent.id):
            task = RemovalTaskRow(
                consent_id=consent.id,
                check_id=check.id,
                channel_id=check.channel_id,
                post_address=check.post_address,
                status=TaskStatus.OPEN,
                created_at=now,
                details={},
            )
            session.add(task)
            await session.flush()
            record_event(
                session,
                at=now,
                action="removal_task.created",
                subject_type="removal_task",
                subject_id=task.id,
                details={"consent_id": consent.id, "check_id": check.id},
            )
            await self._send(session, task, now)
            tasks.append(task)
        return tasks

    async def _recipients(self, session: AsyncSession, channel_id: int) -> list[PersonRow]:
        return [
            entry.person
            for entry in await editors_of(session, channel_id)
            if entry.editor.status == EditorStatus.ACCEPTED
        ]

    async def _send(
        self, session: AsyncSession, task: RemovalTaskRow, now: datetime, reminder: bool = False
    ) -> None:
        views: dict[str, RemovalTaskView] = {}  # one view per language, not per editor
        channel = await session.get(ChannelRow, task.channel_id)
        # A reminder waits for the office hours of the channel's organisation.
        policy = self._s.policy_for(channel) if channel is not None else self._s.policy
        for person in await self._recipients(session, task.channel_id):
            texts = texts_for(person)
            if texts.language not in views:
                views[texts.language] = await self._view(session, task, texts)
            view = views[texts.language]
            if reminder:
                view = replace(view, reminder=texts("removal.reminder"))
            await queue_card(
                session,
                person,
                removal_task_card(view, texts),
                now,
                track=("removal_task", task.id, "removal"),
                dedupe_key=f"removal:{task.id}:{person.id}:{now.date().isoformat()}",
                due_at=next_office_time(now, policy.documentation) if reminder else None,
            )

    async def _view(
        self, session: AsyncSession, task: RemovalTaskRow, texts: Texts
    ) -> RemovalTaskView:
        channel = await session.get(ChannelRow, task.channel_id)
        consent = await session.get(ConsentRow, task.consent_id)
        assert channel is not None and consent is not None
        captured = None
        captures = await evidence_of(session, "removal_task", task.id, "capture")
        if captures:
            first = captures[0]
            who = await session.get(PersonRow, first.uploaded_by_person_id or -1)
            captured = texts(
                "removal.captured",
                filename=first.filename,
                who=person_name(texts, who),
                when=when(texts, first.uploaded_at),
            )
        done = await _done_by(session, task, texts)
        return RemovalTaskView(
            task_id=task.id,
            channel=channel.name,
            subject=consent.subject,
            post_address=task.post_address,
            withdrawn=when(texts, consent.withdrawn_at) if consent.withdrawn_at else "–",
            records_plan_url=self._s.policy_for(channel).templates.records_plan_url,
            captured=captured,
            done=done,
        )

    async def _escalation_view(
        self, session: AsyncSession, task: RemovalTaskRow, texts: Texts, now: datetime
    ) -> RemovalEscalationView | None:
        channel = await session.get(ChannelRow, task.channel_id)
        if channel is None:
            return None
        editors = await self._recipients(session, task.channel_id)
        done = await _done_by(session, task, texts)
        return RemovalEscalationView(
            channel=channel.name,
            post_address=task.post_address,
            days=((task.escalated_at or now) - task.created_at).days,
            editors=tuple(person_name(texts, p) for p in editors),
            done=done,
        )

    async def _update_copies(
        self, session: AsyncSession, task: RemovalTaskRow, except_activity: str | None = None
    ) -> None:
        now = self._s.clock.now()

        async def build(copy: CardCopyRow) -> dict[str, Any] | None:
            person = await session.get(PersonRow, copy.person_id) if copy.person_id else None
            texts = texts_for(person) if person is not None else Texts.for_locale(copy.locale)
            if copy.card == "escalation":
                # The manager's notice says so once the post is removed.
                view = await self._escalation_view(session, task, texts, now)
                return removal_escalation_card(view, texts) if view is not None else None
            return removal_task_card(await self._view(session, task, texts), texts)

        await queue_updates(
            session,
            "removal_task",
            task.id,
            build,
            self._s.clock.now(),
            except_activity=except_activity,
        )

    # --- the task -----------------------------------------------------------------------------

    async def subject(
        self, session: AsyncSession, actor: Actor, subject_id: int | None
    ) -> RemovalTaskRow | None:
        """The task, when the actor may see its channel."""
        task = await session.get(RemovalTaskRow, subject_id) if subject_id else None
        if task is None or not await may_see_channel(
            session, actor.person.id, task.channel_id, organisation=actor.scope
        ):
            return None
        return task

    def subject_id(self, subject: RemovalTaskRow) -> int:
        return subject.id

    def is_done(self, subject: RemovalTaskRow) -> bool:
        return subject.status == TaskStatus.DONE

    def is_captured(self, subject: RemovalTaskRow) -> bool:
        return subject.status == TaskStatus.CAPTURED

    def mark_captured(self, subject: RemovalTaskRow, now: datetime) -> None:
        subject.status = TaskStatus.CAPTURED
        subject.captured_at = now

    def mark_done(self, subject: RemovalTaskRow, actor: Actor, now: datetime) -> dict[str, Any]:
        subject.status = TaskStatus.DONE
        subject.completed_at = now
        subject.completed_by_person_id = actor.person.id
        return {"channel_id": subject.channel_id}

    async def card(
        self,
        session: AsyncSession,
        subject: RemovalTaskRow,
        texts: Texts,
        notice: str | None = None,
    ) -> dict[str, Any]:
        view = await self._view(session, subject, texts)
        return removal_task_card(replace(view, notice=notice) if notice else view, texts)

    async def changed(
        self, session: AsyncSession, subject: RemovalTaskRow, except_activity: str | None
    ) -> bool:
        """Every copy of the task's card shows the capture, then who removed the post."""
        await self._update_copies(session, subject, except_activity=except_activity)
        return True

    # --- reminders ----------------------------------------------------------------------------

    async def remind(self, session: AsyncSession) -> int:
        """R11: reminds the editors of open removal tasks and tells the manager when one waits
        too long, each after its administration's days."""
        now = self._s.clock.now()
        queued = 0
        # Each administration's days; one query per group of administrations that share them.
        for days, scopes in self._s.groups(lambda p: p.consent.removal_reminder_days):
            for task in await tasks_needing_attention(
                session,
                remind_before=now - timedelta(days=days),
                limit=TASKS_PER_SWEEP,
                scopes=scopes,
            ):
                task.last_reminded_at = now
                await self._send(session, task, now, reminder=True)
                queued += 1
        overdue: list[RemovalTaskRow] = []
        for days, scopes in self._s.groups(lambda p: p.consent.removal_escalate_after_days):
            statement = (
                select(RemovalTaskRow)
                .where(RemovalTaskRow.status != TaskStatus.DONE)
                .where(RemovalTaskRow.escalated_at.is_(None))
                .where(RemovalTaskRow.created_at <= now - timedelta(days=days))
                .order_by(RemovalTaskRow.created_at, RemovalTaskRow.id)
                .limit(TASKS_PER_SWEEP)
            )
            if scopes is not None:
                statement = statement.where(
                    RemovalTaskRow.channel_id.in_(channel_ids_within(scopes))
                )
            overdue.extend(await session.scalars(statement))
        for task in overdue:
            task.escalated_at = now
            channel = await session.get(ChannelRow, task.channel_id)
            manager = (
                await session.get(PersonRow, channel.manager_person_id)
                if channel is not None and channel.manager_person_id
                else None
            )
            if channel is None or manager is None:
                continue
            texts = texts_for(manager)
            view = await self._escalation_view(session, task, texts, now)
            assert view is not None
            await queue_card(
                session,
                manager,
                removal_escalation_card(view, texts),
                now,
                track=("removal_task", task.id, "escalation"),
                dedupe_key=f"removal-escalation:{task.id}",
                due_at=next_office_time(now, self._s.policy_for(channel).documentation),
            )
            record_event(
                session,
                at=now,
                action="removal_task.escalated",
                subject_type="removal_task",
                subject_id=task.id,
                details={"manager_person_id": manager.id},
            )
            queued += 1
        return queued


async def _done_by(session: AsyncSession, task: RemovalTaskRow, texts: Texts) -> str | None:
    """Who removed the post and when, once the task is done (R11)."""
    if task.status != TaskStatus.DONE or task.completed_at is None:
        return None
    who = await session.get(PersonRow, task.completed_by_person_id or -1)
    return texts(
        "removal.done_by", who=person_name(texts, who), when=when(texts, task.completed_at)
    )
