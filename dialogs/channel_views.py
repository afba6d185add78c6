"""Builds the channel cards' views from the database: labels, names and times localised."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from babel.dates import format_date, format_datetime
from sqlalchemy.ext.asyncio import AsyncSession

from cards.i18n import Texts
from cards.views import ChannelSummary, Choice, Decision, PlanSection, StatusStep
from dialogs.services import Documents
from domain.channel_request import PLAN_FIELDS, Platform
from domain.dates import ORGANISATION_ZONE
from domain.lifecycle import ChannelStatus
from storage.channels import EditorStatus, editors_of
from storage.models import ChannelRow, PersonRow

PLAN_LINK_TTL = timedelta(days=30)
_BABEL_LOCALES = {"sv": "sv_SE", "en": "en_GB"}


def when(texts: Texts, moment: datetime) -> str:
    """A moment as the reader writes it, in the organisation's time zone."""
    return format_datetime(
        moment, "d MMMM y HH:mm", tzinfo=ORGANISATION_ZONE, locale=_BABEL_LOCALES[texts.language]
    )


def day(texts: Texts, value: date) -> str:
    """A date as the reader writes it."""
    return format_date(value, "d MMMM y", locale=_BABEL_LOCALES[texts.language])


def platform_choices(texts: Texts) -> tuple[Choice, ...]:
    """The platforms as choices for the form."""
    return tuple(Choice(p.value, texts(f"platform.{p.value}")) for p in Platform)


def person_name(texts: Texts, person: PersonRow | None) -> str:
    """A person's name, or their e-mail, or a neutral word when the bot knows neither."""
    if person is None:
        return texts("person.unknown")
    return person.name or person.email or texts("person.unknown")


def plan_sections(texts: Texts, channel: ChannelRow) -> tuple[PlanSection, ...]:
    """The plan's sections with their headings (R5)."""
    sections = [
        PlanSection(texts(f"form.fields.{name}"), str(channel.plan.get(name, "")))
        for name in PLAN_FIELDS
    ]
    evaluation = channel.plan.get("evaluation_date")
    if evaluation:
        sections.append(
            PlanSection(
                texts("form.fields.evaluation_date"), day(texts, date.fromisoformat(evaluation))
            )
        )
    return tuple(sections)


async def summary(
    session: AsyncSession, channel: ChannelRow, texts: Texts, documents: Documents | None
) -> ChannelSummary:
    """What every card shows of a channel."""
    requester = (
        await session.get(PersonRow, channel.requester_person_id)
        if channel.requester_person_id
        else None
    )
    manager = (
        await session.get(PersonRow, channel.manager_person_id)
        if channel.manager_person_id is not None
        else None
    )
    editors = []
    for entry in await editors_of(session, channel.id):
        answer = texts(f"editor_answer.{entry.editor.status}")
        editors.append(f"{person_name(texts, entry.person)} ({answer})")
    plan_url = (
        documents.link(channel.plan_file_key, PLAN_LINK_TTL)
        if documents is not None and channel.plan_file_key
        else None
    )
    return ChannelSummary(
        channel_id=channel.id,
        name=channel.name,
        platform=texts(f"platform.{channel.platform}"),
        unit=channel.unit,
        purpose=channel.purpose,
        requester=person_name(texts, requester),
        manager=person_name(texts, manager),
        editors=tuple(editors),
        status=texts(f"channel_status.{channel.status}"),
        plan_url=plan_url,
        address=channel.address,
    )


async def decision(session: AsyncSession, channel: ChannelRow, texts: Texts) -> Decision | None:
    """The manager's decision, once there is one."""
    status = ChannelStatus(channel.status)
    if channel.decided_at is None or status in (
        ChannelStatus.DRAFT,
        ChannelStatus.PENDING_APPROVAL,
    ):
        return None
    label = {
        ChannelStatus.REJECTED: "decision.rejected",
        ChannelStatus.CHANGES_REQUESTED: "decision.changes_requested",
    }.get(status, "decision.approved")
    by = (
        await session.get(PersonRow, channel.decided_by_person_id)
        if channel.decided_by_person_id is not None
        else None
    )
    return Decision(
        label=texts(label),
        by=person_name(texts, by),
        at=when(texts, channel.decided_at),
        comment=channel.decision_comment or None,
    )


async def status_steps(
    session: AsyncSession, channel: ChannelRow, texts: Texts, min_editors: int
) -> tuple[StatusStep, ...]:
    """The way from request to active channel, with what is done."""
    status = ChannelStatus(channel.status)
    accepted = sum(
        1
        for e in await editors_of(session, channel.id)
        if e.editor.status == EditorStatus.ACCEPTED
    )
    approved = status in (
        ChannelStatus.APPROVED,
        ChannelStatus.EDITORS_READY,
        ChannelStatus.ACTIVE,
        ChannelStatus.CLOSING,
        ChannelStatus.CLOSED,
    )
    ready = approved and status is not ChannelStatus.APPROVED
    active = status in (ChannelStatus.ACTIVE, ChannelStatus.CLOSING, ChannelStatus.CLOSED)
    return (
        StatusStep(texts("steps.submitted"), channel.submitted_at is not None),
        StatusStep(texts("steps.approved"), approved),
        StatusStep(texts("steps.editors", accepted=accepted, minimum=min_editors), ready),
        StatusStep(texts("steps.registered"), active),
    )
