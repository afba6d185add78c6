"""The cards of one channel request: the manager's approval card and the requester's status
card, and the update of every posted copy when the channel changes (R2, R3, R8).

Apart from the flows that change a channel (new channel, approval, editors, registration), so
that each of them can show and refresh these cards without importing the others.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cards.approval import approval_card
from cards.i18n import Texts
from cards.request_status import request_status_card
from cards.views import ApprovalView, ChannelSummary, RequestStatusView
from dialogs.channel_views import decision, plan_sections, status_steps, summary
from dialogs.notify import queue_updates
from dialogs.permissions import DECIDERS, PLAN_READERS, Role, viewer_roles
from dialogs.services import FlowServices
from domain.lifecycle import ChannelStatus
from storage.models import CardCopyRow, ChannelRow, PersonRow


async def approval_view(
    session: AsyncSession,
    services: FlowServices,
    channel: ChannelRow,
    texts: Texts,
    *,
    viewer: PersonRow | None,
    roles: Role | None = None,
    notice: str | None = None,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> ApprovalView:
    """The approval card for one viewer, by their roles: the buttons for a decider who did
    not ask for the channel while it is undecided (R2), the plan for those who take part
    (R5, R6, R7), the status only for anyone else."""
    if roles is None:
        roles = await viewer_roles(session, services, channel, viewer)
    manager = (
        await session.get(PersonRow, channel.manager_person_id)
        if channel.manager_person_id is not None
        else None
    )
    requester = (
        await session.get(PersonRow, channel.requester_person_id)
        if channel.requester_person_id
        else None
    )
    refresh = tuple(
        p.teams_user_id for p in (manager, requester) if p is not None and p.teams_user_id
    )
    full = bool(roles & PLAN_READERS)
    actionable = (
        channel.status == ChannelStatus.PENDING_APPROVAL.value
        and bool(roles & DECIDERS)
        and Role.REQUESTER not in roles  # R2: nobody decides their own request
    )
    if not full:
        return ApprovalView(
            summary=ChannelSummary(
                channel_id=channel.id,
                name=channel.name,
                platform=texts(f"platform.{channel.platform}"),
                unit=channel.unit,
                purpose="",
                requester="",
                manager="",
                editors=(),
                status=texts(f"channel_status.{channel.status}"),
            ),
            version=channel.version,
            sections=(),
            login_reference="",
            actionable=False,
            refresh_user_ids=refresh,
            notice=notice,
            full=False,
        )
    return ApprovalView(
        summary=await summary(session, channel, texts, services.documents),
        version=channel.version,
        sections=plan_sections(texts, channel),
        login_reference=channel.login_reference,
        actionable=actionable,
        refresh_user_ids=refresh,
        decision=await decision(session, channel, texts),
        notice=notice,
        errors=errors or {},
        values=values or {},
    )


async def status_card(
    session: AsyncSession, services: FlowServices, channel: ChannelRow, texts: Texts
) -> dict[str, Any]:
    """The requester's live status card."""
    requester = (
        await session.get(PersonRow, channel.requester_person_id)
        if channel.requester_person_id
        else None
    )
    refresh = (requester.teams_user_id,) if requester and requester.teams_user_id else ()
    return request_status_card(
        RequestStatusView(
            summary=await summary(session, channel, texts, services.documents),
            version=channel.version,
            steps=await status_steps(
                session, channel, texts, services.policy_for(channel).channels.min_editors
            ),
            refresh_user_ids=refresh,
            decision=await decision(session, channel, texts),
        ),
        texts,
    )


async def update_copies(
    session: AsyncSession,
    services: FlowServices,
    channel: ChannelRow,
    except_activity: str | None = None,
) -> None:
    """Queues an update of every posted copy of this channel's cards."""

    async def build(copy: CardCopyRow) -> dict[str, Any] | None:
        viewer = await session.get(PersonRow, copy.person_id) if copy.person_id else None
        texts = Texts.for_locale(copy.locale or (viewer.locale if viewer else None))
        if copy.card == "approval":
            view = await approval_view(session, services, channel, texts, viewer=viewer)
            return approval_card(view, texts)
        if copy.card == "status":
            return await status_card(session, services, channel, texts)
        return None

    await queue_updates(
        session,
        "channel",
        channel.id,
        build,
        services.clock.now(),
        except_activity=except_activity,
    )
