"""Registration (R8): the created account's address, the registry's notice, and active."""

from __future__ import annotations

from typing import Any

from cards.common import note_card
from cards.i18n import Texts
from cards.registration import registration_card
from cards.verbs import Verb
from cards.views import RegistrationView
from dialogs.actor import Actor, channel_from
from dialogs.channel_cards import update_copies
from dialogs.channel_views import day, person_name, summary
from dialogs.editors import registration_hint
from dialogs.notify import queue_email, queue_text, texts_for
from dialogs.permissions import PARTICIPANTS, Permit, Role
from dialogs.services import FlowServices
from dialogs.verb_data import RegistrationData
from dialogs.wiring import Flows, Wiring, acting
from domain.channel_request import Platform, validate_address
from domain.dates import add_months
from domain.documentation import today_in
from domain.lifecycle import ChannelStatus
from storage.audit import record_event
from storage.channels import EditorStatus, change_status, editors_of
from storage.models import ChannelRow, PersonRow


class RegistrationFlow:
    """Takes the address, queues the registration notice and makes the channel active."""

    def __init__(self, services: FlowServices) -> None:
        self._s = services

    async def register(self, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
        """Validates the address (R8) and registers the channel once."""
        texts = actor.texts
        now = self._s.clock.now()
        raw = data.get("address")
        async with self._s.sessions.begin() as session:
            channel = await channel_from(session, data.get("channel_id"), organisation=actor.scope)
            if channel is None:
                return note_card(texts("flow.unknown_channel"))
            editors = await editors_of(session, channel.id)
            allowed = {e.person.id for e in editors if e.editor.status == EditorStatus.ACCEPTED}
            allowed.add(channel.requester_person_id)

            async def card(error: str | None = None, done: str | None = None) -> dict[str, Any]:
                view = RegistrationView(
                    summary=await summary(session, channel, texts, self._s.documents),
                    version=channel.version,
                    value=str(raw or ""),
                    error=error,
                    hint=registration_hint(channel.platform),
                    done=done,
                )
                return registration_card(view, texts)

            if actor.person.id not in allowed:
                return await card(error=texts("flow.only_editors_register"))
            if channel.status == ChannelStatus.ACTIVE.value:
                return await card(
                    done=texts("flow.already_registered", address=channel.address or "")
                )
            if channel.status != ChannelStatus.EDITORS_READY.value:
                return await card(
                    error=texts(
                        "flow.not_ready_to_register",
                        status=texts(f"channel_status.{channel.status}"),
                    )
                )
            address, error = validate_address(Platform(channel.platform), raw)
            if error is not None:
                return await card(error=texts(f"form.errors.{error.code}", **dict(error.values)))
            policy = self._s.policy_for(channel)
            start = today_in(now, policy.documentation)  # the organisation's calendar day
            due = add_months(start, policy.channels.documentation_interval_months)
            if not await change_status(
                session,
                channel,
                ChannelStatus.ACTIVE,
                now,
                address=address,
                start_date=start,
                next_documentation_due=due,
            ):
                await session.refresh(channel)
                return await card(
                    done=texts("flow.already_registered", address=channel.address or "")
                )
            record_event(
                session,
                at=now,
                action="channel.registered",
                subject_type="channel",
                subject_id=channel.id,
                actor=actor.person.aad_object_id,
                actor_person_id=actor.person.id,
                details={
                    "address": address,
                    "start_date": start.isoformat(),
                    "next_documentation_due": due.isoformat(),
                    "registry": policy.registry.mailbox,
                },
            )
            await self._notice(session, channel)
            await self._tell(session, channel, editors)

            await update_copies(session, self._s, channel)
            result = await card(done=texts("flow.registered", due=day(texts, due)))
        self._s.wake_delivery()
        return result

    async def _notice(self, session: Any, channel: ChannelRow) -> None:
        """R8: the registration notice to the registry mailbox, in Swedish."""
        texts = Texts("sv")
        manager = (
            await session.get(PersonRow, channel.manager_person_id)
            if channel.manager_person_id
            else None
        )
        assert channel.start_date is not None
        body = texts(
            "mail.registration_body",
            platform=texts(f"platform.{channel.platform}"),
            name=channel.name,
            address=channel.address or "",
            unit=channel.unit,
            manager=person_name(texts, manager),
            start=channel.start_date.isoformat(),
        )
        queue_email(
            session,
            # R8: the registry of the channel's administration.
            to=self._s.policy_for(channel).registry.mailbox,
            subject=texts(
                "mail.registration_subject",
                name=channel.name,
                platform=texts(f"platform.{channel.platform}"),
            ),
            body=body,
            now=self._s.clock.now(),
            dedupe_key=f"registration:{channel.id}",
        )

    async def _tell(self, session: Any, channel: ChannelRow, editors: Any) -> None:
        """Tells the manager and the editors that the channel is active."""
        now = self._s.clock.now()
        people: dict[int, PersonRow] = {
            e.person.id: e.person for e in editors if e.editor.status == EditorStatus.ACCEPTED
        }
        manager = (
            await session.get(PersonRow, channel.manager_person_id)
            if channel.manager_person_id
            else None
        )
        if manager is not None:
            people[manager.id] = manager
        for person in people.values():
            texts = texts_for(person)
            assert channel.next_documentation_due is not None
            queue_text(
                session,
                person,
                texts(
                    "flow.channel_active",
                    name=channel.name,
                    address=channel.address or "",
                    due=day(texts, channel.next_documentation_due),
                ),
                now,
            )


def build(wiring: Wiring) -> Flows:
    """The registration verb (R8)."""
    registration = RegistrationFlow(wiring.services)
    return Flows(
        verbs=wiring.verb(
            Verb.CHANNEL_REGISTER,
            RegistrationData,
            Permit(
                may=Role.REQUESTER | Role.EDITOR,
                sees=PARTICIPANTS,
                rules="R8",
                summary="the created account's address; the registry is notified",
            ),
            acting(registration.register),
        )
    )
