"""The one wrapper every card verb and typed command runs through.

A flow declares each verb once: its typed data, who may act and who may see
(`Wiring.verb(Verb.APPROVAL_APPROVE, DecisionData, DECIDE, run)`). For every click the wrapper

1. parses the card's data into the declared dataclass (bad data: a clear answer, nothing done);
2. opens the click's one unit of work (one session, one transaction: `storage/unit.py`);
3. loads the person once, with their organisation (a tenant nobody serves may do nothing);
4. finds the channel the data names (through any row of it the data names, all of which must
   be the same channel's) and computes the person's roles towards it (`dialogs/permissions`);
5. refuses, before any card or text about the channel is built, whoever the declaration does
   not let in; the refusal names nothing (no channel, person, file or plan text) and changes
   nothing;
6. runs the flow with a `Request` and turns what it returns into a typed outcome.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from microsoft_agents.hosting.core import TurnContext
from sqlalchemy.ext.asyncio import AsyncSession

from cards.i18n import Texts
from cards.verbs import Verb
from dialogs.actor import Actor, load_actor
from dialogs.permissions import NOBODY, Permit, Role, channel_roles, organisation_roles
from dialogs.services import FlowServices
from dialogs.verb_data import SUBJECT_ROWS, BadData, VerbData, parse_data
from storage.models import ChannelEditorRow, ChannelRow
from storage.unit import UnitSessions

log = logging.getLogger(__name__)

D = TypeVar("D", bound=VerbData)


@dataclass(frozen=True)
class Card:
    """A card that replaces the clicked one (or answers a command)."""

    content: dict[str, Any]


@dataclass(frozen=True)
class Message:
    """A short sentence in place of the card."""

    text: str


@dataclass(frozen=True)
class Refused:
    """This person may not do this here; `why` is for the log only, never shown."""

    why: str = "not_allowed"


Outcome = Card | Message | Refused
# What a flow may hand back: a typed outcome, or a bare card dict or sentence.
FlowAnswer = Outcome | dict[str, Any] | str | None


@dataclass(frozen=True)
class Request(Generic[D]):
    """One permitted click: who, with which data, on which channel, in which roles."""

    actor: Actor
    data: D
    channel: ChannelRow | None
    roles: Role
    permit: Permit
    session: AsyncSession
    turn_context: TurnContext
    # What runs once the click's work is committed (a dialog that starts talking in the chat):
    # nobody is told anything before the state that holds it is committed.
    after_commit: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    def then(self, step: Callable[[], Awaitable[None]]) -> None:
        """Runs `step` after the click's commit (before the answer to the click)."""
        self.after_commit.append(step)

    @property
    def sees_plan(self) -> bool:
        """Tells whether this person may see the plan, the login reference and file links."""
        return bool(self.roles & self.permit.sees)


@dataclass(frozen=True)
class VerbDeclaration:
    """A verb, its data class, who may act and see, and the flow that runs it."""

    verb: Verb
    data: type[VerbData]
    permit: Permit
    run: Callable[[Request[Any]], Awaitable[FlowAnswer]]


@dataclass(frozen=True)
class CommandDeclaration:
    """A typed command, who may run it, and what answers it."""

    name: str
    permit: Permit
    # The person, None only for a command that `anyone` may run.
    run: Callable[[TurnContext, Actor], Awaitable[None]]
    refusal: str = "errors.not_allowed"


class Guard:
    """Runs declared verbs and commands for a person, checking the declaration first."""

    def __init__(self, services: FlowServices, sessions: UnitSessions) -> None:
        self._s = services
        self._sessions = sessions

    async def verb(
        self,
        declaration: VerbDeclaration,
        turn_context: TurnContext,
        raw: Mapping[str, Any],
        person_id: int | None,
        texts: Texts,
    ) -> Outcome:
        """Parses, loads, checks and runs one click in one unit of work."""
        try:
            data = parse_data(declaration.data, raw)
        except BadData as error:
            log.info("bad data for %s: field %s", declaration.verb.value, error)
            return Message(texts("errors.bad_data"))
        activity = turn_context.activity
        conversation_id = activity.conversation.id if activity.conversation else None
        async with self._sessions.unit() as session:
            actor = await load_actor(
                session,
                person_id,
                texts,
                conversation_id=conversation_id,
                activity_id=activity.reply_to_id,
                organisations=self._s.organisations,
            )
            if actor is None:
                return self._refuse(declaration.verb.value, "unknown person")
            channel, subject_owner, named = await self._subject(session, data)
            if named and channel is None:
                return self._refuse(declaration.verb.value, "no such subject")
            if channel is not None:
                roles = await channel_roles(
                    session, self._s, channel, actor.person, conversation_id=conversation_id
                )
            else:
                roles = organisation_roles(actor.organisation, actor.person)
            permit = declaration.permit
            if not permit.allows(roles, has_subject=channel is not None):
                return self._refuse(declaration.verb.value, f"roles {roles}")
            if permit.own and subject_owner != actor.person.id:
                return self._refuse(declaration.verb.value, "not their own")
            request = Request(actor, data, channel, roles, permit, session, turn_context)
            answer = await declaration.run(request)
        for step in request.after_commit:
            await step()
        return outcome_of(answer)

    async def command(
        self,
        declaration: CommandDeclaration,
        turn_context: TurnContext,
        person_id: int | None,
        texts: Texts,
    ) -> None:
        """Loads the person once and runs the command if the declaration lets them. A command
        anyone may run (help, cancel, the language) reads nothing."""
        if declaration.permit.anyone:
            await declaration.run(turn_context, None)  # type: ignore[arg-type]
            return
        async with self._sessions() as session:
            actor = await load_actor(
                session, person_id, texts, organisations=self._s.organisations
            )
        roles = organisation_roles(actor.organisation, actor.person) if actor else NOBODY
        if actor is None or not declaration.permit.allows(roles, has_subject=False):
            log.info("command %s refused", declaration.name)
            await turn_context.send_activity(texts(declaration.refusal))
            return
        await declaration.run(turn_context, actor)

    async def _subject(
        self, session: AsyncSession, data: VerbData
    ) -> tuple[ChannelRow | None, int | None, bool]:
        """The channel the data names, the person owning the named row (an invitation), and
        whether anything was named; (None, None, True) when the named rows do not exist or
        belong to different channels (a forged card)."""
        subjects = data.subjects()
        if not subjects:
            return None, None, False
        channel_ids: set[int] = set()
        owner: int | None = None
        for key, row_id in subjects.items():
            if key == "channel_id":
                channel_ids.add(row_id)
                continue
            row = await session.get(SUBJECT_ROWS[key], row_id)
            if row is None:
                return None, None, True
            channel_ids.add(row.channel_id)
            if isinstance(row, ChannelEditorRow):
                owner = row.person_id
        if len(channel_ids) != 1:
            return None, None, True
        return await session.get(ChannelRow, channel_ids.pop()), owner, True

    @staticmethod
    def _refuse(what: str, why: str) -> Refused:
        log.info("%s refused: %s", what, why)
        return Refused(why)


def outcome_of(answer: FlowAnswer) -> Outcome:
    """A flow's answer as a typed outcome (None from a flow is a refusal)."""
    if isinstance(answer, Card | Message | Refused):
        return answer
    if isinstance(answer, dict):
        return Card(answer)
    if isinstance(answer, str):
        return Message(answer)
    return Refused("refused by the flow")
