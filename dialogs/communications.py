"""The communications department (R7): the channel that sees new plans, and its comments."""

from __future__ import annotations

from typing import Any

from microsoft_agents.hosting.core import TurnContext

from cards.common import note_card
from cards.comms import comms_summary_card
from cards.verbs import Verb
from cards.views import CommsSummaryView
from dialogs.actor import Actor, channel_from
from dialogs.channel_views import person_name, plan_sections, summary
from dialogs.communications_setting import communications_setting
from dialogs.notify import queue_text, texts_for
from dialogs.permissions import NOBODY, Permit, Role
from dialogs.services import FlowServices
from dialogs.verb_data import CommentData
from dialogs.wiring import Flows, Wiring, acting
from storage.audit import record_event
from storage.channels import set_setting
from storage.models import PersonRow

COMMENT_LIMIT = 2000


class CommunicationsFlow:
    """Picks the communications conversation and forwards its comments to requesters."""

    def __init__(self, services: FlowServices) -> None:
        self._s = services

    async def pick(self, actor: Actor, conversation_id: str, conversation_type: str | None) -> str:
        """An organisation admin makes this team channel their organisation's communications
        conversation (R7): new plans of its channels go there; returns a reply."""
        texts = actor.texts
        organisation = actor.organisation or self._s.organisation_of(actor.person.tenant_id)
        if organisation is None or not organisation.is_organisation_admin(
            actor.person.aad_object_id
        ):
            return texts("admin.not_admin")
        key = communications_setting(organisation.slug)
        if conversation_type != "channel":
            return texts("admin.only_in_team_channel")
        now = self._s.clock.now()
        async with self._s.sessions.begin() as session:
            await set_setting(
                session,
                key,
                conversation_id,
                by_person_id=actor.person.id,
                now=now,
            )
            record_event(
                session,
                at=now,
                action="settings.communications_conversation",
                subject_type="setting",
                subject_id=key,
                actor=actor.person.aad_object_id,
                actor_person_id=actor.person.id,
                details={"conversation_id": conversation_id, "organisation": organisation.slug},
            )
        return texts("admin.communications_picked")

    async def comment(self, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
        """Sends a comment on a plan to the requester (R7) and marks the card as sent."""
        texts = actor.texts
        text = str(data.get("comment") or "").strip()
        now = self._s.clock.now()
        async with self._s.sessions.begin() as session:
            channel = await channel_from(session, data.get("channel_id"), organisation=actor.scope)
            if channel is None:
                return note_card(texts("flow.unknown_channel"))

            async def card(error: str | None = None, sent: str | None = None) -> dict[str, Any]:
                view = CommsSummaryView(
                    summary=await summary(session, channel, texts, self._s.documents),
                    sections=plan_sections(texts, channel),
                    version=channel.version,
                    error=error,
                    sent=sent,
                )
                return comms_summary_card(view, texts)

            if not text:
                return await card(error=texts("flow.comment_required"))
            if len(text) > COMMENT_LIMIT:
                return await card(
                    error=texts("form.errors.too_long", limit=COMMENT_LIMIT, length=len(text))
                )
            requester = (
                await session.get(PersonRow, channel.requester_person_id)
                if channel.requester_person_id
                else None
            )
            assert requester is not None
            reader = texts_for(requester)
            queue_text(
                session,
                requester,
                reader(
                    "flow.communications_comment",
                    name=channel.name,
                    author=person_name(reader, actor.person),
                    comment=text,
                ),
                now,
            )
            record_event(
                session,
                at=now,
                action="channel.communications_comment",
                subject_type="channel",
                subject_id=channel.id,
                actor=actor.person.aad_object_id,
                actor_person_id=actor.person.id,
                details={"length": len(text)},
            )
            result = await card(
                sent=texts("flow.comment_sent", name=person_name(texts, requester))
            )
        self._s.wake_delivery()
        return result


def build(wiring: Wiring) -> Flows:
    """The communications channel command and its comment verb (R7)."""
    communications = CommunicationsFlow(wiring.services)

    async def pick(turn_context: TurnContext, actor: Actor) -> str:
        conversation = turn_context.activity.conversation
        return await communications.pick(actor, conversation.id, conversation.conversation_type)

    return Flows(
        # R7: only the organisation's communications conversation comments on a plan.
        verbs=wiring.verb(
            Verb.COMMS_COMMENT,
            CommentData,
            Permit(
                may=Role.COMMUNICATIONS,
                sees=Role.COMMUNICATIONS,
                rules="R7",
                summary="a comment on a plan, sent to the requester",
            ),
            acting(communications.comment),
        ),
        commands=wiring.command(
            "communications",
            Permit(
                may=NOBODY,
                may_new=Role.ORGANISATION_ADMIN,
                rules="R7",
                summary="makes a team channel the communications conversation",
            ),
            pick,
            refusal="admin.not_admin",
        ),
    )
