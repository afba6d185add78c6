"""The post's address after a check that publishes (R9): asked, recorded, reminded."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cards.common import note_card
from cards.consent import (
    ConsentOutcomeView,
    consent_outcome_card,
)
from dialogs.actor import Actor, record_by
from dialogs.channel_views import when
from dialogs.consent.form_data import text_of
from dialogs.notify import queue_card, texts_for
from dialogs.services import FlowServices
from domain.channel_request import Platform, validate_address
from domain.documentation import next_office_time
from storage.consents import (
    editable_channels,
    posts_without_address,
)
from storage.models import (
    ChannelRow,
    ConsentCheckRow,
    PersonRow,
)

POST_REMINDERS_PER_SWEEP = 500


class ConsentPosts:
    """The address of a post published after a check, and the reminder while it is missing."""

    def __init__(self, services: FlowServices) -> None:
        self._s = services

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
            editable = {
                c.id
                for c in await editable_channels(
                    session, actor.person.id, organisation=actor.scope
                )
            }
            if channel is None or channel.id not in editable:
                return note_card(texts("consent.not_editor"))
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
                    replace(view, post_value=text_of(data, "post_address"), post_error=message),
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
        """Asks once for the address of a published post the editor has not given in time (R10,
        so that a withdrawal finds the post: R11), after its administration's days."""
        now = self._s.clock.now()
        checks = []
        # Each administration waits its own days (one query per group that waits as many).
        for days, scopes in self._s.groups(lambda p: p.consent.post_address_reminder_days):
            checks.extend(
                await posts_without_address(
                    session, now - timedelta(days=days), POST_REMINDERS_PER_SWEEP, scopes=scopes
                )
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
                due_at=next_office_time(now, self._s.policy_for(channel).documentation),
            )
        return len(checks)
