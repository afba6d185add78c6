"""The contract between the Teams edge and the flows, and the declarations that wire them.

A flow hands the edge a `Flows` table: its card verbs and typed commands, each declared once
with who may act and see (`VerbDeclaration`, `CommandDeclaration`: `Wiring.verb`,
`Wiring.command`), and its sweeps (`Sweep`). The edge (bot/teams/) runs a declared verb or
command only through the guard (`dialogs/guard.py`, `Flows.guard`) and turns its outcome
into the answer Teams shows. The permission
table in docs/permissions.md is generated from these declarations.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from microsoft_agents.activity import Activity, Attachment
from microsoft_agents.hosting.core import MessageFactory, TurnContext
from sqlalchemy.ext.asyncio import AsyncSession

from cards.actions import CardAction
from cards.common import ADAPTIVE_CARD_CONTENT_TYPE
from cards.i18n import Texts
from cards.verbs import Verb
from dialogs.actor import Actor
from dialogs.dialog_runner import DialogRunner
from dialogs.guard import (
    CommandDeclaration,
    FlowAnswer,
    Guard,
    Request,
    VerbDeclaration,
)
from dialogs.permissions import Permit
from dialogs.services import FlowServices
from dialogs.verb_data import VerbData
from storage.unit import UnitSessions


def card_activity(content: Mapping[str, Any]) -> Activity:
    """A message activity carrying one Adaptive Card."""
    return MessageFactory.attachment(
        Attachment(content_type=ADAPTIVE_CARD_CONTENT_TYPE, content=dict(content))
    )


@dataclass(frozen=True)
class ActionContext:
    """What the edge hands over for a click: the turn, the parsed action, texts, person."""

    turn_context: TurnContext
    action: CardAction
    texts: Texts
    person_id: int | None
    refresh: bool


@dataclass(frozen=True)
class ActionResult:
    """A card that replaces the clicked one, or a short message."""

    card: dict[str, Any] | None = None
    message: str | None = None


# A sweep queues what has become due in the session it is given and says how much.
Sweep = Callable[[AsyncSession], Awaitable[int]]


@dataclass(frozen=True)
class Flows:
    """The declared verbs and commands, and the sweeps, of every flow."""

    verbs: Mapping[Verb, VerbDeclaration] = field(default_factory=dict)
    commands: Mapping[str, CommandDeclaration] = field(default_factory=dict)
    sweeps: Mapping[str, Sweep] = field(default_factory=dict)
    # What runs the declarations (set once every flow is built: dialogs/flows.py).
    guard: Guard | None = None

    def merged(self, other: Flows) -> Flows:
        """Both tables in one; a verb, command or sweep wired twice raises."""
        for mine, theirs in (
            (self.verbs, other.verbs),
            (self.commands, other.commands),
            (self.sweeps, other.sweeps),
        ):
            twice = set(mine) & set(theirs)
            if twice:
                raise ValueError(f"wired twice: {sorted(map(str, twice))}")
        return Flows(
            verbs={**self.verbs, **other.verbs},
            commands={**self.commands, **other.commands},
            sweeps={**self.sweeps, **other.sweeps},
        )

    def check_declared(self, commands: frozenset[str]) -> None:
        """Stops start-up when a verb of the Verb enum, or a catalog command, has no
        declaration (nobody would know who may run it)."""
        missing = [v.value for v in Verb if v not in self.verbs]
        missing += sorted(commands - set(self.commands))
        if missing:
            raise ValueError(f"declared nowhere: {missing}")


class Wiring:
    """What a flow's `build()` gets: its services (whose sessions are the click's unit of work
    inside a click), the dialog runner, and the declarations of verbs and commands."""

    def __init__(
        self, services: FlowServices, runner: DialogRunner, *, registry_csv_url: str = ""
    ) -> None:
        sessions = (
            services.sessions
            if isinstance(services.sessions, UnitSessions)
            else UnitSessions(services.sessions)
        )
        wake, capture = services.wake_delivery, services.wake_capture
        # Work a click queued is delivered (or captured) after the click's commit, not before.
        self.services = replace(
            services,
            sessions=sessions,  # type: ignore[arg-type]
            wake_delivery=lambda: sessions.defer(wake),
            wake_capture=(lambda: sessions.defer(capture)) if capture is not None else None,
        )
        self._s = self.services
        self.guard = Guard(self.services, sessions)
        self.runner = runner
        self.registry_csv_url = registry_csv_url

    @staticmethod
    def verb(
        verb: Verb,
        data: type[VerbData],
        permit: Permit,
        run: Callable[[Request[Any]], Awaitable[FlowAnswer]],
    ) -> dict[Verb, VerbDeclaration]:
        """Declares a verb: its data class, who may act and see, and what runs it."""
        return {verb: VerbDeclaration(verb, data, permit, run)}

    def command(
        self,
        name: str,
        permit: Permit,
        reply: Callable[[TurnContext, Actor], Awaitable[dict[str, Any] | str | None]],
        *,
        refusal: str = "errors.not_allowed",
    ) -> dict[str, CommandDeclaration]:
        """Declares a typed command answered with a card or a sentence (None: it answered)."""

        async def run(turn_context: TurnContext, actor: Actor) -> None:
            # A card flow replaces whatever conversation flow was running.
            await self.runner.cancel(turn_context)
            answer = await reply(turn_context, actor)
            if isinstance(answer, str):
                await turn_context.send_activity(answer)
            elif answer is not None:
                await turn_context.send_activity(card_activity(answer))

        return {name: CommandDeclaration(name, permit, run, refusal)}


def acting(
    method: Callable[[Actor, Any], Awaitable[FlowAnswer]],
) -> Callable[[Request[Any]], Awaitable[FlowAnswer]]:
    """A flow method taking the actor and the verb's typed data, as a declared verb's run."""

    async def run(request: Request[Any]) -> FlowAnswer:
        return await method(request.actor, request.data)

    return run
