"""New channel (R2, R3, R5, R6): the form, its validation, and the request sent to the manager.

The form is one adaptive card answered with Action.Execute: invalid answers return the same
card in place with each error beside its field and the answers kept; a valid request replaces
the form with the requester's live status card and queues the manager's approval card.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cards.approval import approval_card
from cards.common import note_card
from cards.comms import comms_summary_card
from cards.i18n import Texts
from cards.request_form import request_form_card
from cards.views import Choice, CommsSummaryView, RequestFormView
from dialogs.actor import Actor, channel_from, known_person, nominate_editor
from dialogs.channel_cards import approval_view, status_card
from dialogs.channel_views import (
    day,
    person_name,
    plan_sections,
    platform_choices,
    summary,
)
from dialogs.communications_setting import communications_conversation
from dialogs.notify import queue_card, queue_conversation_card
from dialogs.services import FlowServices
from domain.channel_request import ChannelRequest, FieldError, validate_request
from domain.documentation import today_in
from domain.lifecycle import ChannelStatus
from domain.organisations import Administration, Organisation
from domain.plan import PlanSections
from domain.policy import Policy
from storage.audit import record_event
from storage.channels import (
    EditorStatus,
    add_card_copy,
    change_status,
    editors_of,
    nominate,
)
from storage.models import ChannelRow, PersonRow
from storage.people import ensure_person

FORM_FIELDS = (
    "platform",
    "name",
    "unit",
    "unit_other",
    "purpose",
    "goals",
    "target_groups",
    "content_and_rhythm",
    "comment_handling",
    "moderation_and_crisis",
    "evaluation_date",
    "editors",
    "manager",
    "login_reference",
    "administration",
)


def error_texts(texts: Texts, errors: dict[str, FieldError]) -> dict[str, str]:
    """Turns the domain's field errors into catalog sentences."""
    return {
        name: texts(
            f"{'organisations' if name == 'administration' else 'form'}.errors.{error.code}",
            **dict(error.values),
        )
        for name, error in errors.items()
    }


@dataclass(frozen=True)
class Placement:
    """Where a new channel belongs: the requester's organisation and, once known, the
    administration; `offered` are the administrations the form asks to choose from."""

    organisation: Organisation
    administration: Administration | None
    offered: tuple[Administration, ...] = ()

    @property
    def policy(self) -> Policy:
        """The administration's effective policy, or the organisation's until it is chosen."""
        if self.administration is not None:
            return self.administration.policy
        return self.organisation.policy

    @property
    def units(self) -> tuple[str, ...]:
        """R2: the units the form offers: the administration's, or every offered one's."""
        if self.administration is not None:
            return self.administration.policy.units
        found = {u for a in self.offered for u in a.policy.units} or set(self.policy.units)
        return tuple(sorted(found, key=str.casefold))


class NewChannelFlow:
    """Shows the form, validates it and files the request (one service call at the end)."""

    def __init__(self, services: FlowServices) -> None:
        self._s = services

    async def form(
        self,
        actor: Actor,
        *,
        values: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        channel: ChannelRow | None = None,
        notice: str | None = None,
    ) -> dict[str, Any]:
        """Builds the form card, asking for the manager only when the directory cannot say.

        The administration is asked for too when the directory's department does not say it.
        """
        texts = actor.texts
        placement = await self._placement(actor, values or {}, channel)
        if placement is None:
            return note_card(texts("errors.not_allowed"))
        manager = await self._s.directory.manager_of(
            actor.person.tenant_id, actor.person.aad_object_id
        )
        if values is None and placement.units:
            values = await self._unit_from_directory(actor, placement.units)
        return request_form_card(
            RequestFormView(
                platforms=platform_choices(texts),
                values=values or {},
                errors=errors or {},
                ask_manager=manager is None,
                manager_name=(manager.name or manager.email) if manager else None,
                channel_id=channel.id if channel else None,
                version=channel.version if channel else None,
                manager_comment=channel.decision_comment if channel else None,
                plan_template_url=placement.policy.templates.plan_template_url or None,
                notice=notice,
                administrations=tuple(Choice(a.slug, a.name) for a in placement.offered),
                units=placement.units,
            ),
            texts,
        )

    async def _unit_from_directory(self, actor: Actor, units: tuple[str, ...]) -> dict[str, str]:
        """R2: the policy's unit that the directory's department names, chosen beforehand on
        the form (the requester still sees and may change it)."""
        person = await self._s.directory.person(actor.person.tenant_id, actor.person.aad_object_id)
        department = (person.department or "").strip().casefold() if person else ""
        found = next((u for u in units if u.casefold() == department), None)
        return {"unit": found} if found else {}

    async def _placement(
        self, actor: Actor, answers: dict[str, Any], channel: ChannelRow | None = None
    ) -> Placement | None:
        """The requester's organisation and the channel's administration: a resubmitted
        channel keeps its own; else the directory's department, else the form's answer."""
        organisation = actor.organisation or self._s.organisation_of(actor.person.tenant_id)
        if organisation is None:
            return None
        if channel is not None:
            return Placement(organisation, organisation.administration(channel.administration))
        if (only := organisation.default_administration) is not None:
            return Placement(organisation, only)
        person = await self._s.directory.person(actor.person.tenant_id, actor.person.aad_object_id)
        found = organisation.administration_for(person.department if person else None)
        if found is not None:
            return Placement(organisation, found)
        chosen = organisation.administration(str(answers.get("administration") or ""))
        return Placement(organisation, chosen, organisation.administrations)

    async def submit(self, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
        """Validates the answers; files the request or returns the form with the errors."""
        texts = actor.texts
        now = self._s.clock.now()
        values = {k: str(v) for k, v in data.items() if k in FORM_FIELDS and v is not None}
        async with self._s.sessions() as session:
            before = await self._resubmitted(session, actor, data)
        placement = await self._placement(
            actor, data, before if isinstance(before, ChannelRow) else None
        )
        if placement is None:
            return note_card(texts("errors.not_allowed"))
        directory_manager = await self._s.directory.manager_of(
            actor.person.tenant_id, actor.person.aad_object_id
        )
        request, errors = validate_request(
            data,
            requester_id=actor.person.aad_object_id,
            manager_known=directory_manager is not None,
            today=today_in(now, placement.policy.documentation),  # the organisation's day
            # R3: the minimum of editors is the channel's administration's.
            policy=placement.policy.channels,
            administrations=tuple(a.slug for a in placement.offered),
            units=placement.units,
        )
        async with self._s.sessions.begin() as session:
            existing = await self._resubmitted(session, actor, data)
            if isinstance(existing, str):
                return await self.form(actor, values=values, notice=texts(existing))
            if request is None or placement.administration is None:
                return await self.form(
                    actor,
                    values=values,
                    errors=error_texts(texts, errors),
                    channel=existing,
                    notice=texts("flow.form_has_errors"),
                )
            channel = await self._file(
                session, actor, request, existing, directory_manager, placement
            )
            card = await status_card(session, self._s, channel, texts)
            if actor.conversation_id and actor.activity_id:
                # The form is replaced by the status card in place: that copy is kept live.
                await add_card_copy(
                    session,
                    subject_type="channel",
                    subject_id=channel.id,
                    card="status",
                    conversation_id=actor.conversation_id,
                    activity_id=actor.activity_id,
                    person_id=actor.person.id,
                    locale=actor.person.locale,
                    now=now,
                )
        self._s.wake_delivery()
        return card

    async def _resubmitted(
        self, session: AsyncSession, actor: Actor, data: dict[str, Any]
    ) -> ChannelRow | str | None:
        """The channel a resubmission is for; a catalog key when it may not be resubmitted."""
        raw_id = data.get("channel_id")
        if raw_id in (None, ""):
            return None
        channel = await channel_from(session, raw_id, organisation=actor.scope)
        if channel is None or channel.requester_person_id != actor.person.id:
            return "flow.not_yours"
        if channel.status != ChannelStatus.CHANGES_REQUESTED.value:
            return "flow.already_submitted"
        return channel

    async def _file(
        self,
        session: AsyncSession,
        actor: Actor,
        request: ChannelRequest,
        existing: ChannelRow | None,
        directory_manager: Any,
        placement: Placement,
    ) -> ChannelRow:
        """Stores the request and its plan, and queues the approval card (R2, R5, R7)."""
        now = self._s.clock.now()
        tenant = actor.person.tenant_id
        if directory_manager is not None:
            manager = await ensure_person(
                session,
                tenant,
                directory_manager.aad_object_id,
                now,
                name=directory_manager.name,
                email=directory_manager.email,
            )
            source = "directory"
        else:
            assert request.manager is not None
            manager = await known_person(session, self._s.directory, tenant, request.manager, now)
            source = "form"
        plan = {
            "goals": request.goals,
            "target_groups": request.target_groups,
            "content_and_rhythm": request.content_and_rhythm,
            "comment_handling": request.comment_handling,
            "moderation_and_crisis": request.moderation_and_crisis,
            "evaluation_date": request.evaluation_date.isoformat(),
        }
        fields = dict(
            platform=request.platform.value,
            name=request.name,
            unit=request.unit,
            unit_source="policy" if request.unit_listed else "form",
            purpose=request.purpose,
            plan=plan,
            login_reference=request.login_reference,
            manager_person_id=manager.id,
            manager_source=source,
            submitted_at=now,
            decided_at=None,
            decided_by_person_id=None,
            decision_comment=None,
            manager_has_login_access=False,
        )
        if existing is None:
            assert placement.administration is not None
            channel = ChannelRow(
                tenant_id=tenant,
                organisation=placement.organisation.slug,
                administration=placement.administration.slug,
                status=ChannelStatus.DRAFT.value,
                version=1,
                requester_person_id=actor.person.id,
                created_at=now,
                updated_at=now,
                **fields,
            )
            session.add(channel)
            await session.flush()
            await change_status(session, channel, ChannelStatus.PENDING_APPROVAL, now)
        else:
            channel = existing
            if not await change_status(
                session, channel, ChannelStatus.PENDING_APPROVAL, now, **fields
            ):
                raise RuntimeError("the channel changed while it was resubmitted")
        # R3: the requester is an editor; the others are invited once the manager approves.
        await nominate(
            session,
            channel.id,
            actor.person.id,
            by_person_id=actor.person.id,
            now=now,
            status=EditorStatus.ACCEPTED,
        )
        for aad_id in request.editors:
            editor = await known_person(session, self._s.directory, tenant, aad_id, now)
            await nominate_editor(session, channel, editor, actor, now)
        await self._store_plan(session, channel, manager, actor)
        record_event(
            session,
            at=now,
            action="channel.submitted",
            subject_type="channel",
            subject_id=channel.id,
            actor=actor.person.aad_object_id,
            actor_person_id=actor.person.id,
            details={
                "version": channel.version,
                "resubmitted": existing is not None,
                "manager_source": source,
            },
        )
        await self._notify_manager(session, channel, manager)
        await self._notify_communications(session, channel)
        return channel

    async def _store_plan(
        self, session: AsyncSession, channel: ChannelRow, manager: PersonRow, actor: Actor
    ) -> None:
        """Renders the plan as .docx in Swedish (R5) and stores it with its checksum."""
        texts = Texts("sv")
        plan = channel.plan
        editors = tuple(
            person_name(texts, entry.person) for entry in await editors_of(session, channel.id)
        )
        key, sha256 = await self._s.documents.store_plan(
            texts,
            channel_name=channel.name,
            platform=texts(f"platform.{channel.platform}"),
            unit=channel.unit,
            purpose=channel.purpose,
            plan=PlanSections(
                goals=plan["goals"],
                target_groups=plan["target_groups"],
                content_and_rhythm=plan["content_and_rhythm"],
                comment_handling=plan["comment_handling"],
                moderation_and_crisis=plan["moderation_and_crisis"],
                evaluation_date=date.fromisoformat(plan["evaluation_date"]),
            ),
            editors=editors,
            manager=person_name(texts, manager),
            requester=person_name(texts, actor.person),
            created_at=day(
                texts, today_in(self._s.clock.now(), self._s.policy_for(channel).documentation)
            ),
        )
        channel.plan_file_key = key
        channel.plan_sha256 = sha256

    async def _notify_manager(
        self, session: AsyncSession, channel: ChannelRow, manager: PersonRow
    ) -> None:
        texts = Texts.for_locale(manager.locale)
        view = await approval_view(session, self._s, channel, texts, viewer=manager)
        await queue_card(
            session,
            manager,
            approval_card(view, texts),
            self._s.clock.now(),
            track=("channel", channel.id, "approval"),
        )

    async def _notify_communications(self, session: AsyncSession, channel: ChannelRow) -> None:
        """R7 (optional): the plan goes to the communications department's channel."""
        conversation = await communications_conversation(
            session, self._s.organisations, channel.organisation
        )
        if not conversation:
            return
        texts = Texts("sv")
        view = CommsSummaryView(
            summary=await summary(session, channel, texts, self._s.documents),
            sections=plan_sections(texts, channel),
            version=channel.version,
        )
        queue_conversation_card(
            session,
            conversation,
            channel.tenant_id,
            comms_summary_card(view, texts),
            self._s.clock.now(),
            track=("channel", channel.id, "comms"),
        )

    async def refresh_status(self, actor: Actor, channel_id: Any) -> dict[str, Any] | None:
        """Answers the status card's automatic refresh with the current truth."""
        async with self._s.sessions() as session:
            channel = await channel_from(session, channel_id, organisation=actor.scope)
            if channel is None or channel.requester_person_id != actor.person.id:
                return None
            return await status_card(session, self._s, channel, actor.texts)
