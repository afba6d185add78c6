"""The contract between the Teams edge and the flows, and helpers that wire a flow to it.

A flow hands the edge a `Flows` table: its card verbs (`VerbHandler`), its text commands
(`CommandHandler`) and its sweeps (`Sweep`). The edge (bot/teams/) calls them with an
`ActionContext` and turns an `ActionResult` into the answer Teams shows. `Wiring` turns a flow's
methods that take an `Actor` into such handlers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from microsoft_agents.activity import Activity, Attachment
from microsoft_agents.hosting.core import MessageFactory, TurnContext
from sqlalchemy.ext.asyncio import AsyncSession

from cards.actions import CardAction
from cards.common import ADAPTIVE_CARD_CONTENT_TYPE
from cards.i18n import Texts
from cards.verbs import Verb
from dialogs.actor import Actor, load_actor, names_foreign_channel
from dialogs.dialog_runner import DialogRunner
from dialogs.services import FlowServices


def card_activity(content: Mapping[str, Any]) -> Activity:
    """A message activity carrying one Adaptive Card."""
    return MessageFactory.attachment(
        Attachment(content_type=ADAPTIVE_CARD_CONTENT_TYPE, content=dict(content))
    )


@dataclass(frozen=True)
class ActionContext:
    """What a verb handler gets: the turn, the parsed action, the texts and the actor."""

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


VerbHandler = Callable[[ActionContext], Awaitable[ActionResult]]

# A text command: the turn, the person (None before they are known) and their texts.
CommandHandler = Callable[[TurnContext, int | None, Texts], Awaitable[None]]
# A sweep queues what has become due in the session it is given and says how much.
Sweep = Callable[[AsyncSession], Awaitable[int]]


@dataclass(frozen=True)
class Flows:
    """The router table, the card-sending commands and the sweeps of every flow."""

    verbs: Mapping[Verb, VerbHandler] = field(default_factory=dict)
    commands: Mapping[str, CommandHandler] = field(default_factory=dict)
    sweeps: Mapping[str, Sweep] = field(default_factory=dict)

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


class Wiring:
    """What a flow's `build()` gets: its services, the dialog runner, and helpers that turn
    flow methods taking an Actor into verb and command handlers."""

    def __init__(
        self, services: FlowServices, runner: DialogRunner, *, registry_csv_url: str = ""
    ) -> None:
        self._s = services
        self.services = services
        self.runner = runner
        self.registry_csv_url = registry_csv_url

    async def actor_of(self, ctx: ActionContext) -> Actor | None:
        """The person who clicked, with the card's conversation and activity."""
        activity = ctx.turn_context.activity
        async with self._s.sessions() as session:
            return await load_actor(
                session,
                ctx.person_id,
                ctx.texts,
                conversation_id=activity.conversation.id if activity.conversation else None,
                activity_id=activity.reply_to_id,
                organisations=self._s.organisations,
            )

    async def person(self, person_id: int | None, texts: Texts) -> Actor | None:
        """The person of a typed command, with their organisation (None: nothing allowed)."""
        async with self._s.sessions() as session:
            return await load_actor(session, person_id, texts, organisations=self._s.organisations)

    def scoped(self, handler: VerbHandler) -> VerbHandler:
        """The verb, refused ("not allowed") when the card's data names a channel, or a row
        of one, of another organisation than the clicker's: a forged card learns nothing.

        build_flows wraps every verb in it, whatever the flow checks itself.
        """

        async def guarded(ctx: ActionContext) -> ActionResult:
            actor = await self.actor_of(ctx)
            if actor is not None:
                async with self._s.sessions() as session:
                    foreign = await names_foreign_channel(session, actor, dict(ctx.action.data))
                if foreign:
                    return ActionResult(message=ctx.texts("errors.not_allowed"))
            return await handler(ctx)

        return guarded

    def acting(
        self,
        run: Callable[[Actor, dict[str, Any]], Awaitable[dict[str, Any] | None]],
    ) -> VerbHandler:
        """A verb answered with a card (None: "not allowed") for the acting person."""

        async def handler(ctx: ActionContext) -> ActionResult:
            actor = await self.actor_of(ctx)
            if actor is None:
                return ActionResult(message=ctx.texts("errors.not_allowed"))
            result = await run(actor, dict(ctx.action.data))
            if result is None:
                return ActionResult(message=ctx.texts("errors.not_allowed"))
            return ActionResult(card=result)

        return handler

    def command(
        self,
        reply: Callable[[TurnContext, Actor], Awaitable[dict[str, Any] | str]],
    ) -> CommandHandler:
        """A text command answered with a card (or a sentence) for the acting person."""

        async def handler(turn_context: TurnContext, person_id: int | None, texts: Texts) -> None:
            actor = await self.person(person_id, texts)
            if actor is None:
                await turn_context.send_activity(texts("errors.not_allowed"))
                return
            answer = await reply(turn_context, actor)
            if isinstance(answer, str):
                await turn_context.send_activity(answer)
                return
            await turn_context.send_activity(card_activity(answer))

        return handler
