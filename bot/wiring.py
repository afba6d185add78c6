"""Helpers that wire a flow's methods to card verbs and text commands."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from microsoft_agents.hosting.core import TurnContext

from bot.delivery.scheduler import Sweep
from bot.teams.activity_handler import CommandHandler
from bot.teams.card_actions import ActionContext, ActionResult, VerbHandler, card_activity
from cards.i18n import Texts
from cards.verbs import Verb
from dialogs.actor import Actor, load_actor
from dialogs.services import FlowServices


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
    """Turns flow methods that take an Actor into verb and command handlers."""

    def __init__(self, services: FlowServices) -> None:
        self._s = services

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
            )

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
            async with self._s.sessions() as session:
                actor = await load_actor(session, person_id, texts)
            if actor is None:
                await turn_context.send_activity(texts("errors.not_allowed"))
                return
            answer = await reply(turn_context, actor)
            if isinstance(answer, str):
                await turn_context.send_activity(answer)
                return
            await turn_context.send_activity(card_activity(answer))

        return handler
