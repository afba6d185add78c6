"""Editor changes (R3) and changes of the registered facts (R8).

    redaktörer --> the channel's editors --> add (invited by card) / remove (refused below the
    minimum unless a replacement is named; then under-staffed until the replacement accepts)
    --> address or responsible manager changed: a change notice to the registry mailbox (R8)

When delivery to an editor fails for good (403 / user not found), or the directory reports the
account disabled, the channel's manager is asked to name a replacement.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cards.common import note_card
from cards.consent import Option
from cards.editor_changes import (
    EditorLine,
    EditorsView,
    ReplaceView,
    editors_card,
    editors_pick_card,
    replace_card,
)
from cards.i18n import Texts
from cards.verbs import Verb
from dialogs.actor import Actor, known_person, may_decide, nominate_editor, record_by, row_id
from dialogs.channel_views import person_name
from dialogs.notify import queue_card, queue_email, queue_text, texts_for
from dialogs.services import FlowServices, NoDirectory
from dialogs.wiring import Flows, Wiring
from domain.channel_request import Platform, validate_address
from domain.editors import EditorChange, decide_change, is_understaffed
from domain.lifecycle import ChannelStatus
from storage.audit import record_event
from storage.channels import EditorStatus, accepted_count, editors_of
from storage.models import ChannelEditorRow, ChannelRow, PersonRow

OPEN_STATUSES = (
    ChannelStatus.APPROVED.value,
    ChannelStatus.EDITORS_READY.value,
    ChannelStatus.ACTIVE.value,
)
LIVE_STATUSES = (ChannelStatus.ACTIVE.value, ChannelStatus.CLOSING.value)
# The directory is asked about an editor's account at most this often (per instance).
DIRECTORY_CHECK_EVERY = timedelta(hours=24)
DIRECTORY_CHECKS_PER_SWEEP = 200


def _id(data: dict[str, Any], key: str) -> int | None:
    return row_id(data.get(key))


def _picked(data: dict[str, Any], key: str) -> list[str]:
    raw = data.get(key)
    return [p.strip() for p in str(raw or "").split(",") if p.strip()]


class EditorChangesFlow:
    """Adds and removes editors (R3), replaces unreachable ones, and keeps R8 notices."""

    def __init__(self, services: FlowServices) -> None:
        self._s = services
        self._checked: dict[int, datetime] = {}
        self._cursor = 0

    # --- who may -------------------------------------------------------------------------------

    async def _channels(self, session: AsyncSession, person: PersonRow) -> list[ChannelRow]:
        """Channels where the person is an accepted editor or the manager (or a deputy)."""
        editing = select(ChannelEditorRow.channel_id).where(
            ChannelEditorRow.person_id == person.id,
            ChannelEditorRow.status == EditorStatus.ACCEPTED,
        )
        rows = await session.scalars(
            select(ChannelRow)
            .where(ChannelRow.status.in_(OPEN_STATUSES))
            .where(ChannelRow.tenant_id == person.tenant_id)
            .order_by(ChannelRow.name, ChannelRow.id)
        )
        mine = set(await session.scalars(editing))
        return [c for c in rows if c.id in mine or may_decide(self._s.policy, c, person)]

    async def _channel(
        self, session: AsyncSession, actor: Actor, data: dict[str, Any]
    ) -> ChannelRow | None:
        wanted = _id(data, "channel_id")
        return next(
            (c for c in await self._channels(session, actor.person) if c.id == wanted), None
        )

    async def _view(self, session: AsyncSession, channel: ChannelRow, texts: Texts) -> EditorsView:
        entries = await editors_of(session, channel.id)
        manager = (
            await session.get(PersonRow, channel.manager_person_id)
            if channel.manager_person_id
            else None
        )
        return EditorsView(
            channel_id=channel.id,
            channel=channel.name,
            editors=tuple(
                EditorLine(e.editor.id, person_name(texts, e.person), e.editor.status)
                for e in entries
                if e.editor.status != EditorStatus.DECLINED
            ),
            min_editors=self._s.policy.channels.min_editors,
            address=channel.address or "",
            manager=person_name(texts, manager) if manager else "",
            understaffed=channel.understaffed_since is not None,
        )

    # --- the card -----------------------------------------------------------------------------

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

    # --- add and remove (R3) ------------------------------------------------------------------

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
            remove_id = _id(data, "remove")
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
            adding = [a for a in _picked(data, "add") if a not in current]
            replacement = _picked(data, "replacement")[:1]
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
                self._s.policy.channels.min_editors,
                self._s.policy.channels.max_editors,
            )
            if decision.refusal is not None:
                key = f"editor_changes.refused_{decision.refusal.value}"
                message = texts(
                    key,
                    minimum=self._s.policy.channels.min_editors,
                    maximum=self._s.policy.channels.max_editors,
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

    async def _remove(
        self,
        session: AsyncSession,
        channel: ChannelRow,
        editor: ChannelEditorRow,
        person: PersonRow,
        actor: Actor | None,
        now: datetime,
    ) -> None:
        editor.status = EditorStatus.REMOVED
        editor.removed_at = now
        editor.removed_by_person_id = actor.person.id if actor else None
        record_event(
            session,
            at=now,
            action="editor.removed",
            subject_type="channel",
            subject_id=channel.id,
            actor=(actor.person.aad_object_id or "") if actor else "system",
            actor_person_id=actor.person.id if actor else None,
            details={"editor_id": editor.id},
        )
        if person.undeliverable_at is None:
            texts = texts_for(person)
            queue_text(
                session, person, texts("editor_changes.you_were_removed", name=channel.name), now
            )

    async def _invite(self, session: AsyncSession, channel: ChannelRow) -> None:
        from dialogs.approval import ApprovalFlow

        await ApprovalFlow(self._s)._invite_editors(session, channel)

    async def _staffing(self, session: AsyncSession, channel: ChannelRow, now: datetime) -> None:
        """R3: flags the channel under-staffed below the minimum, and clears the flag again."""
        await session.flush()
        accepted = accepted_count(await editors_of(session, channel.id))
        short = is_understaffed(accepted, self._s.policy.channels.min_editors)
        if short and channel.understaffed_since is None and channel.status in LIVE_STATUSES:
            channel.understaffed_since = now
            record_event(
                session,
                at=now,
                action="channel.understaffed",
                subject_type="channel",
                subject_id=channel.id,
                details={"accepted": accepted},
            )
        elif not short and channel.understaffed_since is not None:
            channel.understaffed_since = None
            record_event(
                session,
                at=now,
                action="channel.staffed",
                subject_type="channel",
                subject_id=channel.id,
                details={"accepted": accepted},
            )

    async def after_answer(self, session: AsyncSession, channel: ChannelRow) -> None:
        """Called when a nominated editor answers: a replacement's yes clears the flag."""
        await self._staffing(session, channel, self._s.clock.now())

    # --- the registered facts (R8) ------------------------------------------------------------

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
            new_manager = _picked(data, "manager")[:1]
            manager_person = None
            if new_manager:
                may_hand_over = may_decide(self._s.policy, channel, actor.person) or (
                    actor.person.aad_object_id in self._s.policy.admins
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
            to=self._s.policy.registry.mailbox,
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

    # --- unreachable editors -----------------------------------------------------------------

    async def unreachable(
        self, session: AsyncSession, person_id: int, now: datetime, reason: str = "undeliverable"
    ) -> int:
        """R3: the manager of each live channel the person edits is asked for a replacement."""
        person = await session.get(PersonRow, person_id)
        if person is None:
            return 0
        rows = await session.execute(
            select(ChannelEditorRow, ChannelRow)
            .join(ChannelRow, ChannelRow.id == ChannelEditorRow.channel_id)
            .where(ChannelEditorRow.person_id == person_id)
            .where(ChannelEditorRow.status == EditorStatus.ACCEPTED)
            .where(ChannelRow.status.in_(LIVE_STATUSES))
        )
        asked = 0
        for editor, channel in rows:
            manager = (
                await session.get(PersonRow, channel.manager_person_id)
                if channel.manager_person_id
                else None
            )
            if manager is None or manager.id == person_id:
                continue
            texts = texts_for(manager)
            view = ReplaceView(
                channel_id=channel.id,
                editor_id=editor.id,
                channel=channel.name,
                editor=person_name(texts, person),
                reason=texts(f"editor_changes.reason_{reason}"),
            )
            if await queue_card(
                session,
                manager,
                replace_card(view, texts),
                now,
                track=("editor", editor.id, "replace"),
                dedupe_key=f"editor-unreachable:{channel.id}:{editor.id}",
            ):
                record_event(
                    session,
                    at=now,
                    action="editor.unreachable",
                    subject_type="channel",
                    subject_id=channel.id,
                    details={"editor_id": editor.id, "reason": reason},
                )
                asked += 1
        return asked

    async def name_replacement(self, actor: Actor, data: dict[str, Any]) -> dict[str, Any] | None:
        """The manager names a replacement: invited by card, the unreachable editor removed."""
        texts = actor.texts
        now = self._s.clock.now()
        async with self._s.sessions.begin() as session:
            editor = await session.get(ChannelEditorRow, _id(data, "editor_id") or -1)
            channel = await session.get(ChannelRow, editor.channel_id) if editor else None
            if editor is None or channel is None or str(channel.id) != str(data.get("channel_id")):
                return None
            person = await session.get(PersonRow, editor.person_id)
            assert person is not None
            view = ReplaceView(
                channel_id=channel.id,
                editor_id=editor.id,
                channel=channel.name,
                editor=person_name(texts, person),
                reason=texts("editor_changes.reason_undeliverable"),
            )
            if not may_decide(self._s.policy, channel, actor.person):
                return replace_card(
                    replace(view, error=texts("editor_changes.only_manager")), texts
                )
            if editor.status != EditorStatus.ACCEPTED:
                return replace_card(
                    replace(view, done=texts("editor_changes.already_replaced")), texts
                )
            picked = _picked(data, "replacement")[:1]
            if not picked or picked[0] == person.aad_object_id:
                return replace_card(replace(view, error=texts("editor_changes.pick")), texts)
            await self._remove(session, channel, editor, person, actor, now)
            new = await known_person(session, self._s.directory, channel.tenant_id, picked[0], now)
            nomination = await nominate_editor(session, channel, new, actor, now)
            nomination.replaces_editor_id = editor.id
            record_by(
                session,
                actor,
                at=now,
                action="editor.added",
                subject_type="channel",
                subject_id=channel.id,
                details={"editor_id": nomination.id, "replaces": editor.id},
            )
            await self._staffing(session, channel, now)
            await self._invite(session, channel)
            done = texts("editor_changes.replacement_invited", name=person_name(texts, new))
            result = replace_card(replace(view, done=done), texts)
        self._s.wake_delivery()
        return result

    async def check_reachability(self, session: AsyncSession) -> int:
        """Safety net for the delivery hook (editors marked undeliverable in the last day), and
        accounts the directory reports disabled: a slice of the editors per sweep, each asked
        about at most once a day per instance."""
        now = self._s.clock.now()
        live_editors = (
            select(ChannelEditorRow.person_id)
            .join(ChannelRow, ChannelRow.id == ChannelEditorRow.channel_id)
            .where(ChannelEditorRow.status == EditorStatus.ACCEPTED)
            .where(ChannelRow.status.in_(LIVE_STATUSES))
        )
        # The few people marked lately first (ix_people_undeliverable), then which are editors.
        recent = list(
            await session.scalars(
                select(PersonRow.id).where(PersonRow.undeliverable_at >= now - timedelta(days=1))
            )
        )
        asked = 0
        if recent:
            for person_id in list(
                await session.scalars(
                    live_editors.where(ChannelEditorRow.person_id.in_(recent)).distinct()
                )
            ):
                asked += await self.unreachable(session, person_id, now)
        if isinstance(self._s.directory, NoDirectory):
            return asked
        batch = list(
            await session.scalars(
                select(PersonRow)
                .where(PersonRow.id.in_(live_editors))
                .where(PersonRow.id > self._cursor)
                .where(PersonRow.undeliverable_at.is_(None))
                .where(PersonRow.aad_object_id.is_not(None))
                .order_by(PersonRow.id)
                .limit(DIRECTORY_CHECKS_PER_SWEEP)
            )
        )
        # Keyset paging round the editors; back to the start after the last slice.
        self._cursor = batch[-1].id if len(batch) == DIRECTORY_CHECKS_PER_SWEEP else 0
        for person in batch:
            last = self._checked.get(person.id)
            if last is not None and now - last < DIRECTORY_CHECK_EVERY:
                continue
            self._checked[person.id] = now
            assert person.aad_object_id is not None
            found = await self._s.directory.person(person.tenant_id, person.aad_object_id)
            if found is not None and not found.enabled:
                asked += await self.unreachable(session, person.id, now, reason="disabled")
        return asked


def build(wiring: Wiring) -> Flows:
    """The verbs, commands and sweeps of this flow."""
    services = wiring.services
    editors = EditorChangesFlow(services)
    return Flows(
        verbs={
            Verb.EDITORS_SHOW: wiring.acting(editors.show),
            Verb.EDITORS_CHANGE: wiring.acting(editors.change),
            Verb.EDITOR_REPLACE: wiring.acting(editors.name_replacement),
            Verb.CHANNEL_UPDATE: wiring.acting(editors.update),
        },
        commands={"editors": wiring.command(lambda _turn, actor: editors.card(actor))},
        sweeps={"editor_reachability": editors.check_reachability},
    )
