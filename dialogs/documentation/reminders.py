"""The documentation reminders (R12): the sweep that reminds the editors and, when a round is
overdue, the manager."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cards.documentation import (
    DocumentationEscalationView,
    documentation_escalation_card,
    documentation_reminder_card,
)
from dialogs.channel_views import day, person_name
from dialogs.documentation.reminder_cards import ReminderCards
from dialogs.notify import queue_card, texts_for
from domain.documentation import (
    current_step,
    days_overdue,
    escalation_due,
    next_office_time,
    today_in,
)
from storage.audit import record_event
from storage.channels import EditorStatus, editors_of
from storage.documentation import DueChannel, channels_due_by
from storage.models import (
    ChannelRow,
    PersonRow,
)

PAGE = 500


def reminder_dedupe_prefix(channel_id: int, due: date) -> str:
    """The dedupe keys of one round's reminders start with this (to cancel them at once)."""
    return f"doc-reminder:{channel_id}:{due.isoformat()}:"


class DocumentationReminders(ReminderCards):
    """The sweep that reminds, a page of due channels at a time."""

    async def remind(self, session: AsyncSession) -> int:
        """Queues today's reminder step to every editor of each due channel, once (R12).

        Each channel goes by its administration's policy (reminder days, repeats, escalation)
        and its organisation's time zone and office hours; the pages are read with the widest
        horizon of them all, so one query serves every organisation.
        """
        cap = self._s.policy.documentation.max_reminders_per_sweep
        now = self._s.clock.now()
        horizon = max(
            today_in(now, p.documentation) + timedelta(days=p.documentation.reminder_days_before)
            for p in self._s.policies()
        )
        queued = 0
        after: tuple[date, int] | None = None
        while queued < cap:
            # Pages of due channels, so that a sweep stops at the cap without reading them all;
            # the rest come in the next sweeps (no flood after an import).
            page = await channels_due_by(session, horizon, limit=PAGE, after=after)
            if not page:
                break
            for channel in page:
                if queued >= cap:
                    break
                policy = self._s.policy_for(channel).documentation
                today = today_in(now, policy)
                due = channel.next_documentation_due
                step = current_step(due, today, policy)
                if step is None:
                    continue
                # A reminder due at night waits for the organisation's morning.
                send_at = next_office_time(now, policy)
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
