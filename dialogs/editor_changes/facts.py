"""Changes of the registered facts (R8): the address or the responsible manager, and the change
notice to the registry mailbox."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cards.common import note_card
from cards.editor_changes import (
    editors_card,
)
from cards.i18n import Texts
from dialogs.actor import Actor, administers, decides, known_person, record_by
from dialogs.channel_views import person_name
from dialogs.editor_changes.roster import (
    LIVE_STATUSES,
    EditorRoster,
    picked,
)
from dialogs.notify import queue_email
from domain.channel_request import Platform, validate_address
from storage.models import ChannelRow


class ChannelFactsFlow(EditorRoster):
    """Changes the channel's address or hands it over to another manager (R8)."""

    async def update(self, actor: Actor, data: dict[str, Any]) -> dict[str, Any] | None:
        """A new address (editors, manager) or responsible manager (manager, deputy, admin);
        the registry mailbox gets a change notice (R8)."""
        texts = actor.texts
        now = self._s.clock.now()
        async with self._s.sessions.begin() as session:
            channel = await self._channel(session, actor, data)
            if channel is None:
                return note_card(texts("editor_changes.not_yours"))
            view = await self._view(session, channel, texts)
            changes: dict[str, tuple[str, str]] = {}
            raw_address = str(data.get("address") or "").strip()
            if raw_address and raw_address != (channel.address or ""):
                address, error = validate_address(Platform(channel.platform), raw_address)
                if error is not None or address is None:
                    message = (
                        texts(f"form.errors.{error.code}", **dict(error.values)) if error else ""
                    )
                    return editors_card(replace(view, errors={"address": message}), texts)
                changes["address"] = (channel.address or "–", address)
            new_manager = picked(data, "manager")[:1]
            manager_person = None
            if new_manager:
                # R2 deciders, or an admin of this channel's administration (issue 15).
                may_hand_over = decides(self._s, channel, actor.person) or administers(
                    self._s, channel, actor.person
                )
                if not may_hand_over:
                    return editors_card(
                        replace(view, errors={"manager": texts("editor_changes.only_manager")}),
                        texts,
                    )
                manager_person = await known_person(
                    session, self._s.directory, channel.tenant_id, new_manager[0], now
                )
                if manager_person.id != channel.manager_person_id:
                    changes["manager"] = (
                        view.manager or "–",
                        person_name(Texts("sv"), manager_person),
                    )
            if not changes:
                return editors_card(replace(view, notice=texts("editor_changes.nothing")), texts)
            if "address" in changes:
                channel.address = changes["address"][1]
            if manager_person is not None and "manager" in changes:
                channel.manager_person_id = manager_person.id
                channel.manager_source = "handover"
            channel.updated_at = now
            record_by(
                session,
                actor,
                at=now,
                action="channel.changed",
                subject_type="channel",
                subject_id=channel.id,
                details={key: {"from": old, "to": new} for key, (old, new) in changes.items()},
            )
            if channel.status in LIVE_STATUSES:
                self._change_notice(session, channel, changes, now)
            await session.flush()
            done = texts("editor_changes.updated")
            result = editors_card(
                replace(await self._view(session, channel, texts), done=done), texts
            )
        self._s.wake_delivery()
        return result

    def _change_notice(
        self,
        session: AsyncSession,
        channel: ChannelRow,
        changes: dict[str, tuple[str, str]],
        now: datetime,
    ) -> None:
        """R8: the registry mailbox keeps the public list up to date."""
        sv = Texts("sv")
        lines = "\n".join(
            sv(f"editor_changes.notice_{key}", old=old, new=new)
            for key, (old, new) in changes.items()
        )
        queue_email(
            session,
            to=self._s.policy_for(channel).registry.mailbox,
            subject=sv(
                "editor_changes.notice_subject",
                name=channel.name,
                platform=sv(f"platform.{channel.platform}"),
            ),
            body=sv(
                "editor_changes.notice_body",
                name=channel.name,
                platform=sv(f"platform.{channel.platform}"),
                unit=channel.unit,
                address=channel.address or "–",
                changes=lines,
                date=now.date().isoformat(),
            ),
            now=now,
        )
