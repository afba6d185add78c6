"""The manager's decision (R2, R5, R6): approve, reject or ask for changes, exactly once.

Nothing in the card is trusted: the handler re-reads the channel, re-checks that the clicker is
the designated manager (or a deputy for the unit), refuses stale cards and second clicks, and
changes the status with compare-and-set so that two clicks at once decide once.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cards.approval import approval_card
from cards.editors import editor_invite_card
from cards.i18n import Texts
from cards.request_form import request_form_card
from cards.verbs import Verb
from cards.views import EditorInviteView, RequestFormView
from dialogs.actor import Actor
from dialogs.channel_cards import approval_view, update_copies
from dialogs.channel_views import person_name, platform_choices, summary
from dialogs.guard import Request
from dialogs.notify import queue_card, queue_text, texts_for
from dialogs.permissions import ADMINS, DECIDERS, PLAN_READERS, Permit, Role
from dialogs.services import FlowServices
from dialogs.verb_data import DecisionData
from dialogs.wiring import Flows, Wiring
from domain.lifecycle import ChannelStatus
from storage.audit import record_event
from storage.channels import EditorStatus, change_status, editors_of
from storage.models import ChannelRow, PersonRow
from storage.organisations import within

DECISIONS = {
    Verb.APPROVAL_APPROVE: ChannelStatus.APPROVED,
    Verb.APPROVAL_REJECT: ChannelStatus.REJECTED,
    Verb.APPROVAL_CHANGES: ChannelStatus.CHANGES_REQUESTED,
}
COMMENT_LIMIT = 2000


class ApprovalFlow:
    """Takes the manager's decision and tells everyone concerned."""

    def __init__(self, services: FlowServices) -> None:
        self._s = services

    async def decide(self, request: Request[DecisionData], verb: Verb) -> dict[str, Any]:
        """Decides once, on the version the card showed (the guard let only a decider who
        did not ask for the channel in: R2)."""
        actor, data, session = request.actor, request.data, request.session
        channel = request.channel
        assert channel is not None
        texts = actor.texts
        target = DECISIONS[verb]
        comment = data.comment.strip()
        login_access = data.login_access
        values = {"comment": comment, "login_access": "true" if login_access else "false"}
        now = self._s.clock.now()
        person = actor.person

        async def card(
            notice: str | None = None, errors: dict[str, str] | None = None
        ) -> dict[str, Any]:
            view = await approval_view(
                session,
                self._s,
                channel,
                texts,
                viewer=person,
                roles=request.roles,
                notice=notice,
                errors=errors,
                values=values,
            )
            return approval_card(view, texts)

        if channel.status != ChannelStatus.PENDING_APPROVAL.value:
            return await card(texts("flow.already_decided"))
        if data.version != channel.version:
            return await card(texts("flow.stale_card"))
        errors = self._check(texts, target, comment, login_access)
        if errors:
            return await card(errors=errors)
        changed = await change_status(
            session,
            channel,
            target,
            now,
            decided_at=now,
            decided_by_person_id=person.id,
            decision_comment=comment or None,
            manager_has_login_access=login_access and target is ChannelStatus.APPROVED,
        )
        if not changed:  # another click won the race
            await session.refresh(channel)
            return await card(texts("flow.already_decided"))
        record_event(
            session,
            at=now,
            action=f"channel.{target.value}",
            subject_type="channel",
            subject_id=channel.id,
            actor=person.aad_object_id,
            actor_person_id=person.id,
            details={
                "version": channel.version,
                "comment": comment,
                "manager_has_login_access": login_access,
            },
        )
        await self._after(session, channel, actor)
        self._s.wake_delivery()
        return await card()

    @staticmethod
    def _check(
        texts: Texts, target: ChannelStatus, comment: str, login_access: bool
    ) -> dict[str, str]:
        errors: dict[str, str] = {}
        if target is not ChannelStatus.APPROVED and not comment:
            errors["comment"] = texts("flow.comment_required")
        if len(comment) > COMMENT_LIMIT:
            errors["comment"] = texts(
                "form.errors.too_long", limit=COMMENT_LIMIT, length=len(comment)
            )
        if target is ChannelStatus.APPROVED and not login_access:
            # R6: the manager must have access to the login before the channel starts.
            errors["login_access"] = texts("flow.login_access_required")
        return errors

    async def _after(self, session: AsyncSession, channel: ChannelRow, actor: Actor) -> None:
        """Updates every copy of the cards and tells the requester (and editors) what's next."""
        now = self._s.clock.now()
        requester = (
            await session.get(PersonRow, channel.requester_person_id)
            if channel.requester_person_id
            else None
        )
        assert requester is not None
        await update_copies(session, self._s, channel, except_activity=actor.activity_id)
        texts = texts_for(requester)
        status = ChannelStatus(channel.status)
        if status is ChannelStatus.APPROVED:
            queue_text(session, requester, texts("flow.approved_next", name=channel.name), now)
            await self._invite_editors(session, channel)
        elif status is ChannelStatus.REJECTED:
            queue_text(
                session,
                requester,
                texts("flow.rejected", name=channel.name, comment=channel.decision_comment or ""),
                now,
            )
        else:
            form = request_form_card(
                RequestFormView(
                    platforms=platform_choices(texts),
                    values=_form_values(channel),
                    ask_manager=channel.manager_source == "form",
                    channel_id=channel.id,
                    version=channel.version,
                    manager_comment=channel.decision_comment,
                    manager_name=None,
                    plan_template_url=(
                        self._s.policy_for(channel).templates.plan_template_url or None
                    ),
                ),
                texts,
            )
            await queue_card(session, requester, form, now)

    async def _invite_editors(self, session: AsyncSession, channel: ChannelRow) -> None:
        """R3: each nominated editor gets a card to accept or decline."""
        now = self._s.clock.now()
        requester = (
            await session.get(PersonRow, channel.requester_person_id)
            if channel.requester_person_id
            else None
        )
        for entry in await editors_of(session, channel.id):
            if entry.editor.status != EditorStatus.NOMINATED:
                continue
            texts = texts_for(entry.person)
            view = EditorInviteView(
                summary=await summary(session, channel, texts, self._s.documents),
                editor_id=entry.editor.id,
                invited_by=person_name(texts, requester),
            )
            await queue_card(
                session,
                entry.person,
                editor_invite_card(view, texts),
                now,
                track=("channel", channel.id, "editor_invite"),
                dedupe_key=f"editor-invite:{entry.editor.id}:{entry.editor.nominated_at.isoformat()}",
            )

    async def refresh(self, request: Request[DecisionData]) -> dict[str, Any]:
        """Answers the approval card's automatic refresh with what the viewer's roles allow."""
        assert request.channel is not None
        view = await approval_view(
            request.session,
            self._s,
            request.channel,
            request.actor.texts,
            viewer=request.actor.person,
            roles=request.roles,
        )
        return approval_card(view, request.actor.texts)

    async def remind(self, session: AsyncSession) -> int:
        """Queues one reminder per request left undecided for its administration's days (R2)."""
        now = self._s.clock.now()
        channels: list[ChannelRow] = []
        # One query per group of administrations that wait as many days (one, usually).
        for days, scopes in self._s.groups(lambda p: p.channels.approval_reminder_days):
            channels.extend(
                await session.scalars(
                    within(
                        select(ChannelRow)
                        .where(ChannelRow.status == ChannelStatus.PENDING_APPROVAL.value)
                        .where(ChannelRow.submitted_at <= now - timedelta(days=days)),
                        scopes,
                    )
                )
            )
        queued = 0
        for channel in channels:
            manager = (
                await session.get(PersonRow, channel.manager_person_id)
                if channel.manager_person_id
                else None
            )
            if manager is None:
                continue
            texts = texts_for(manager)
            view = await approval_view(
                session,
                self._s,
                channel,
                texts,
                viewer=manager,
                notice=texts("flow.approval_reminder"),
            )
            if await queue_card(
                session,
                manager,
                approval_card(view, texts),
                now,
                track=("channel", channel.id, "approval"),
                dedupe_key=f"approval-reminder:{channel.id}:{channel.version}",
            ):
                record_event(
                    session,
                    at=now,
                    action="channel.approval_reminded",
                    subject_type="channel",
                    subject_id=channel.id,
                )
                queued += 1
        return queued


def _form_values(channel: ChannelRow) -> dict[str, str]:
    plan = channel.plan
    return {
        "platform": channel.platform,
        "name": channel.name,
        "unit": channel.unit,
        "purpose": channel.purpose,
        "login_reference": channel.login_reference,
        **{k: str(v) for k, v in plan.items()},
    }


# R2, R5, R6: the manager or a deputy of the unit decides, never on their own request.
DECIDE = Permit(
    may=DECIDERS,
    sees=PLAN_READERS,
    never=Role.REQUESTER,
    rules="R2, R5, R6",
    summary="decides a request once, on the version the card showed",
)
# Everyone a copy of the approval card reaches; admins see the status only.
REFRESH = Permit(
    may=PLAN_READERS | ADMINS,
    sees=PLAN_READERS,
    rules="R2, R7",
    summary="the approval card's automatic refresh, by role",
)


def build(wiring: Wiring) -> Flows:
    """The manager's verbs and the reminder sweep of this flow (R2)."""
    approval = ApprovalFlow(wiring.services)
    verbs = wiring.verb(Verb.APPROVAL_REFRESH, DecisionData, REFRESH, approval.refresh)
    for verb in DECISIONS:
        verbs |= wiring.verb(
            verb, DecisionData, DECIDE, lambda request, verb=verb: approval.decide(request, verb)
        )
    return Flows(verbs=verbs, sweeps={"approval_reminders": approval.remind})
