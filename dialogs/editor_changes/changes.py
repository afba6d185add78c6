"""Adding and removing editors (R3): never below the minimum without a replacement."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from cards.common import note_card
from cards.consent import Option
from cards.editor_changes import (
    editors_card,
    editors_pick_card,
)
from dialogs.actor import Actor, known_person, nominate_editor, record_by
from dialogs.editor_changes.roster import (
    EditorRoster,
    id_of,
    picked,
)
from domain.editors import EditorChange, decide_change
from storage.channels import EditorStatus, accepted_count, editors_of


class EditorChangesFlow(EditorRoster):
    """Adds and removes a channel's editors (R3)."""

    async def card(self, actor: Actor) -> dict[str, Any] | str:
        """The editors of the user's channel, or the choice of channel when there are several."""
        async with self._s.sessions() as session:
            channels = await self._channels(session, actor.person)
            if not channels:
                return actor.texts("editor_changes.no_channels")
            if len(channels) > 1:
                options = tuple(Option(str(c.id), c.name) for c in channels)
                return editors_pick_card(options, actor.texts)
            return editors_card(await self._view(session, channels[0], actor.texts), actor.texts)

    async def show(self, actor: Actor, data: dict[str, Any]) -> dict[str, Any] | None:
        """The editors of the picked channel."""
        async with self._s.sessions() as session:
            channel = await self._channel(session, actor, data)
            if channel is None:
                return note_card(actor.texts("editor_changes.not_yours"))
            return editors_card(await self._view(session, channel, actor.texts), actor.texts)

    async def change(self, actor: Actor, data: dict[str, Any]) -> dict[str, Any] | None:
        """Adds and removes editors; never below the minimum without a replacement (R3)."""
        texts = actor.texts
        now = self._s.clock.now()
        async with self._s.sessions.begin() as session:
            channel = await self._channel(session, actor, data)
            if channel is None:
                return note_card(texts("editor_changes.not_yours"))
            view = await self._view(session, channel, texts)
            entries = await editors_of(session, channel.id)
            current = {
                e.person.aad_object_id
                for e in entries
                if e.editor.status in (EditorStatus.ACCEPTED, EditorStatus.NOMINATED)
            }
            remove_id = id_of(data, "remove")
            removing = next(
                (
                    e
                    for e in entries
                    if e.editor.id == remove_id
                    and e.editor.status in (EditorStatus.ACCEPTED, EditorStatus.NOMINATED)
                ),
                None,
            )
            if data.get("remove") and removing is None:
                return editors_card(
                    replace(view, errors={"remove": texts("editor_changes.pick")}), texts
                )
            adding = [a for a in picked(data, "add") if a not in current]
            replacement = picked(data, "replacement")[:1]
            if replacement and (replacement[0] in current or replacement[0] in adding):
                replacement = []
            decision = decide_change(
                EditorChange(
                    accepted=accepted_count(entries),
                    nominated=sum(1 for e in entries if e.editor.status == EditorStatus.NOMINATED),
                    remove_accepted=int(
                        removing is not None and removing.editor.status == EditorStatus.ACCEPTED
                    ),
                    remove_nominated=int(
                        removing is not None and removing.editor.status == EditorStatus.NOMINATED
                    ),
                    add=len(adding),
                    replacement=bool(replacement),
                ),
                self._s.policy_for(channel).channels.min_editors,
                self._s.policy_for(channel).channels.max_editors,
            )
            if decision.refusal is not None:
                key = f"editor_changes.refused_{decision.refusal.value}"
                message = texts(
                    key,
                    minimum=self._s.policy_for(channel).channels.min_editors,
                    maximum=self._s.policy_for(channel).channels.max_editors,
                )
                field = "replacement" if decision.refusal.value == "below_minimum" else "add"
                return editors_card(replace(view, errors={field: message}, notice=message), texts)
            replaced = None
            if removing is not None:
                await self._remove(session, channel, removing.editor, removing.person, actor, now)
                replaced = removing.editor.id
            for aad in [*adding, *replacement]:
                person = await known_person(
                    session, self._s.directory, channel.tenant_id, aad, now
                )
                nomination = await nominate_editor(session, channel, person, actor, now)
                if aad in replacement:
                    nomination.replaces_editor_id = replaced
                record_by(
                    session,
                    actor,
                    at=now,
                    action="editor.added",
                    subject_type="channel",
                    subject_id=channel.id,
                    details={
                        "editor_id": nomination.id,
                        "replaces": nomination.replaces_editor_id,
                    },
                )
            await self._staffing(session, channel, now)
            await self._invite(session, channel)
            await session.flush()
            done = texts("editor_changes.saved")
            result = editors_card(
                replace(await self._view(session, channel, texts), done=done), texts
            )
        self._s.wake_delivery()
        return result
