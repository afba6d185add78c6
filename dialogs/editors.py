"""Editors (R3): nominated editors accept or decline; a decline asks for another name."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cards.common import note_card
from cards.editors import editor_invite_card, nominate_card
from cards.registration import registration_card
from cards.verbs import Verb
from cards.views import EditorInviteView, NominateView, RegistrationView
from dialogs.actor import Actor, channel_from, known_person, nominate_editor, row_id
from dialogs.channel_cards import update_copies
from dialogs.channel_views import person_name, summary
from dialogs.editor_changes.roster import EditorRoster
from dialogs.notify import queue_card, texts_for
from dialogs.permissions import PARTICIPANTS, Permit, Role
from dialogs.services import FlowServices
from dialogs.verb_data import EditorAnswerData, NominationData
from dialogs.wiring import Flows, Wiring, acting
from domain.channel_request import PLATFORM_DOMAINS, Platform
from domain.lifecycle import ChannelStatus
from storage.audit import record_event
from storage.channels import (
    EditorStatus,
    accepted_count,
    change_status,
    editors_of,
    get_channel,
)
from storage.models import ChannelEditorRow, ChannelRow, PersonRow


def registration_hint(platform: str) -> str:
    """An example address on the platform's own domain."""
    domains = PLATFORM_DOMAINS[Platform(platform)]
    return f"https://www.{domains[0]}/..." if domains else "https://..."


class EditorsFlow:
    """Handles editors' answers and new nominations."""

    def __init__(self, services: FlowServices) -> None:
        self._s = services

    async def answer(self, actor: Actor, verb: Verb, data: dict[str, Any]) -> dict[str, Any]:
        """Records an editor's accept or decline; only the nominated person may answer."""
        texts = actor.texts
        now = self._s.clock.now()
        accept = verb is Verb.EDITOR_ACCEPT
        async with self._s.sessions.begin() as session:
            nomination, channel = await _nomination(session, data)
            if nomination is None or channel is None:
                return note_card(texts("flow.unknown_channel"))

            async def card(answer: str | None = None, notice: str | None = None) -> dict[str, Any]:
                requester = (
                    await session.get(PersonRow, channel.requester_person_id)
                    if channel.requester_person_id
                    else None
                )
                view = EditorInviteView(
                    summary=await summary(session, channel, texts, self._s.documents),
                    editor_id=nomination.id,
                    invited_by=person_name(texts, requester),
                    answer=answer,
                    notice=notice,
                )
                return editor_invite_card(view, texts)

            if nomination.person_id != actor.person.id:
                return await card(notice=texts("flow.not_your_invitation"))
            if nomination.status != EditorStatus.NOMINATED:
                return await card(
                    answer=texts(f"editor_own_answer.{nomination.status}"),
                    notice=texts("flow.already_answered"),
                )
            if channel.status not in (
                ChannelStatus.APPROVED.value,
                ChannelStatus.EDITORS_READY.value,
                ChannelStatus.ACTIVE.value,
            ):
                return await card(
                    notice=texts(
                        "flow.channel_not_open", status=texts(f"channel_status.{channel.status}")
                    )
                )
            nomination.status = EditorStatus.ACCEPTED if accept else EditorStatus.DECLINED
            nomination.responded_at = now
            record_event(
                session,
                at=now,
                action="editor.accepted" if accept else "editor.declined",
                subject_type="channel",
                subject_id=channel.id,
                actor=actor.person.aad_object_id,
                actor_person_id=actor.person.id,
                details={"editor_id": nomination.id},
            )
            await session.flush()
            if accept:
                await self._maybe_ready(session, channel)
            elif channel.requester_person_id is not None:
                await self._ask_for_another(session, channel, actor.person)
            # R3: a replacement's yes ends the channel's under-staffed time.
            await EditorRoster(self._s).after_answer(session, channel)

            await update_copies(session, self._s, channel)
            result = await card(answer=texts(f"editor_own_answer.{nomination.status}"))
        self._s.wake_delivery()
        return result

    async def _maybe_ready(self, session: AsyncSession, channel: ChannelRow) -> None:
        """R3: with the policy's minimum accepted the channel is ready to be created."""
        entries = await editors_of(session, channel.id)
        if channel.status != ChannelStatus.APPROVED.value:
            return
        if accepted_count(entries) < self._s.policy_for(channel).channels.min_editors:
            return
        now = self._s.clock.now()
        if not await change_status(session, channel, ChannelStatus.EDITORS_READY, now):
            return
        record_event(
            session,
            at=now,
            action="channel.editors_ready",
            subject_type="channel",
            subject_id=channel.id,
            details={"accepted": accepted_count(entries)},
        )
        requester = (
            await session.get(PersonRow, channel.requester_person_id)
            if channel.requester_person_id
            else None
        )
        assert requester is not None
        texts = texts_for(requester)
        view = RegistrationView(
            summary=await summary(session, channel, texts, self._s.documents),
            version=channel.version,
            hint=registration_hint(channel.platform),
        )
        await queue_card(
            session,
            requester,
            registration_card(view, texts),
            now,
            track=("channel", channel.id, "registration"),
        )

    async def _ask_for_another(
        self, session: AsyncSession, channel: ChannelRow, declined: PersonRow
    ) -> None:
        requester = (
            await session.get(PersonRow, channel.requester_person_id)
            if channel.requester_person_id
            else None
        )
        assert requester is not None
        texts = texts_for(requester)
        view = NominateView(
            summary=await summary(session, channel, texts, self._s.documents),
            declined=person_name(texts, declined),
        )
        await queue_card(
            session,
            requester,
            nominate_card(view, texts),
            self._s.clock.now(),
            track=("channel", channel.id, "nominate"),
        )

    async def nominate(self, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
        """The requester names another editor after a decline; they get an invitation."""
        texts = actor.texts
        now = self._s.clock.now()
        async with self._s.sessions.begin() as session:
            channel = await channel_from(session, data.get("channel_id"), organisation=actor.scope)
            if channel is None or channel.requester_person_id != actor.person.id:
                return note_card(texts("flow.not_yours"))
            raw = str(data.get("editors") or "").split(",")
            picked = [p.strip() for p in raw if p.strip()]

            async def card(error: str | None = None, done: str | None = None) -> dict[str, Any]:
                view = NominateView(
                    summary=await summary(session, channel, texts, self._s.documents),
                    declined="",
                    error=error,
                    done=done,
                )
                return nominate_card(view, texts)

            if len(picked) != 1 or picked[0] == actor.person.aad_object_id:
                return await card(error=texts("flow.pick_one_editor"))
            person = await known_person(
                session, self._s.directory, channel.tenant_id, picked[0], now
            )
            nomination = await nominate_editor(session, channel, person, actor, now)
            if nomination.status == EditorStatus.NOMINATED:
                from dialogs.approval import ApprovalFlow

                await ApprovalFlow(self._s)._invite_editors(session, channel)
            result = await card(done=texts("flow.nominated", name=person_name(texts, person)))
        self._s.wake_delivery()
        return result


async def _nomination(
    session: AsyncSession, data: dict[str, Any]
) -> tuple[ChannelEditorRow | None, ChannelRow | None]:
    editor_id = row_id(data.get("editor_id"))
    if editor_id is None:
        return None, None
    nomination = await session.get(ChannelEditorRow, editor_id)
    if nomination is None or str(nomination.channel_id) != str(data.get("channel_id")):
        return None, None
    return nomination, await get_channel(session, nomination.channel_id)


def build(wiring: Wiring) -> Flows:
    """The nomination and the editors' answers (R3)."""
    editors = EditorsFlow(wiring.services)
    # R3: only the invited person answers their own invitation.
    answer = Permit(
        may=Role.INVITED_EDITOR | Role.EDITOR,
        sees=PARTICIPANTS,
        own=True,
        rules="R3",
        summary="answers one's own invitation",
    )
    verbs = wiring.verb(
        Verb.EDITOR_NOMINATE,
        NominationData,
        Permit(
            may=Role.REQUESTER,
            sees=PARTICIPANTS,
            rules="R3",
            summary="names another editor after a decline",
        ),
        acting(editors.nominate),
    )
    for verb in (Verb.EDITOR_ACCEPT, Verb.EDITOR_DECLINE):
        verbs |= wiring.verb(
            verb,
            EditorAnswerData,
            answer,
            lambda request, verb=verb: editors.answer(request.actor, verb, request.data),
        )
    return Flows(verbs=verbs)
