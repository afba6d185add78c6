"""Typed commands, routed in one place: the catalog's words and the typed flows' names.

Every command has a declaration (who may run it); the edge's own (help, cancel, the language)
are declared here, the flows' in their `build()`. A command the person may not run gets the
declaration's refusal and changes nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from microsoft_agents.hosting.core import TurnContext

from bot.teams.turn_recorder import PERSON_KEY, TurnRecorder
from cards.help import help_card
from cards.i18n import Texts, match_command
from dialogs.actor import Actor
from dialogs.dialog_runner import DialogRunner
from dialogs.flows import EDGE_COMMANDS
from dialogs.guard import CommandDeclaration, Guard
from dialogs.wiring import card_activity

LANGUAGES = {"language_sv": "sv", "language_en": "en"}


def edge_commands(runner: DialogRunner, recorder: TurnRecorder) -> dict[str, CommandDeclaration]:
    """Help, cancel and the language: anyone who writes to the bot may use them."""

    async def show_help(turn_context: TurnContext, _actor: Actor | None) -> None:
        texts = Texts.for_locale(turn_context.activity.locale)
        await turn_context.send_activity(card_activity(help_card(texts)))

    async def cancel(turn_context: TurnContext, _actor: Actor | None) -> None:
        texts = Texts.for_locale(turn_context.activity.locale)
        cancelled = await runner.cancel(turn_context)
        await turn_context.send_activity(texts("cancel.done" if cancelled else "cancel.nothing"))

    def choose(language: str) -> Callable[[TurnContext, Actor | None], Awaitable[None]]:
        async def run(turn_context: TurnContext, _actor: Actor | None) -> None:
            person_id = turn_context.turn_state.get(PERSON_KEY)
            await recorder.choose_language(turn_context, person_id, language)
            await turn_context.send_activity(Texts(language)(f"language.chosen_{language}"))

        return run

    runs = {
        "help": show_help,
        "cancel": cancel,
        **{name: choose(language) for name, language in LANGUAGES.items()},
    }
    return {
        name: CommandDeclaration(name, permit, runs[name])
        for name, permit in EDGE_COMMANDS.items()
    }


class CommandRouter:
    """Finds the command a text asks for and runs it through its declaration."""

    def __init__(
        self,
        guard: Guard,
        commands: Mapping[str, CommandDeclaration],
        runner: DialogRunner,
    ) -> None:
        self._guard = guard
        self._commands = dict(commands)
        self._runner = runner

    def find(self, text: str) -> str | None:
        """The command (or typed flow) a text names, if any."""
        name = match_command(text) or self._runner.match(text)
        if name in self._commands or self._runner.starts(name):
            return name
        return None

    async def dispatch(
        self, turn_context: TurnContext, name: str, person_id: int | None, texts: Texts
    ) -> None:
        """Runs the named command for the person, if their roles let them."""
        declaration = self._commands.get(name)
        if declaration is None:  # a typed flow's name: it begins that dialog
            await self._runner.begin(turn_context, name)
            return
        await self._guard.command(declaration, turn_context, person_id, texts)
