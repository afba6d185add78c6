"""A conversation survives a restart mid-dialog: state lives in the database, not in memory."""

from __future__ import annotations

import pytest
from microsoft_agents.hosting.core import MessageFactory
from microsoft_agents.hosting.dialogs import (
    ComponentDialog,
    DialogTurnResult,
    TextPrompt,
    WaterfallDialog,
    WaterfallStepContext,
)
from microsoft_agents.hosting.dialogs.prompts import PromptOptions

from tests.conftest import BotFactory
from tests.support.connector_emulator import ConnectorEmulator
from tests.support.factories import make_message, make_user


@pytest.fixture
def bot_database_url(database_url: str) -> str:
    """This module runs on SQLite and on PostgreSQL."""
    return database_url


def _two_question_flow() -> WaterfallDialog:
    """A flow that asks two things and repeats both answers."""

    async def ask_unit(step: WaterfallStepContext) -> DialogTurnResult:
        return await step.prompt("text", PromptOptions(prompt=MessageFactory.text("Enhet?")))

    async def ask_platform(step: WaterfallStepContext) -> DialogTurnResult:
        step.values["unit"] = step.result
        return await step.prompt("text", PromptOptions(prompt=MessageFactory.text("Plattform?")))

    async def finish(step: WaterfallStepContext) -> DialogTurnResult:
        await step.context.send_activity(f"{step.values['unit']} på {step.result}")
        return await step.end_dialog()

    return WaterfallDialog("demo", [ask_unit, ask_platform, finish])


class DemoFlow(ComponentDialog):
    """The two-question flow as a component, the way real flows are built."""

    def __init__(self) -> None:
        super().__init__("demo_flow")
        self.add_dialog(_two_question_flow())
        self.add_dialog(TextPrompt("text"))
        self.initial_dialog_id = "demo"


async def test_a_dialog_continues_after_a_restart(
    start_bot: BotFactory, emulator: ConnectorEmulator
):
    user = make_user(1)
    first = await start_bot(flows={"demo": DemoFlow()})
    await first.post(make_message("demo", user=user, service_url=emulator.service_url))
    await first.post(
        make_message("Fritidsgården Ugglan", user=user, service_url=emulator.service_url)
    )
    await emulator.wait_for(lambda e: e.texts()[-1:] == ["Plattform?"])
    await first.stop()

    second = await start_bot(flows={"demo": DemoFlow()})  # a new create_app, same database
    await second.post(make_message("Instagram", user=user, service_url=emulator.service_url))

    await emulator.wait_for(lambda e: e.texts()[-1:] == ["Fritidsgården Ugglan på Instagram"])


async def test_cancel_ends_the_dialog(start_bot: BotFactory, emulator: ConnectorEmulator):
    user = make_user(1)
    bot = await start_bot(flows={"demo": DemoFlow()})
    await bot.post(make_message("demo", user=user, service_url=emulator.service_url))
    await bot.post(make_message("avbryt", user=user, service_url=emulator.service_url))
    await bot.post(make_message("Instagram", user=user, service_url=emulator.service_url))
    await bot.post(make_message("avbryt", user=user, service_url=emulator.service_url))

    await emulator.wait_for_count(4)
    assert emulator.texts(user.conversation_id) == [
        "Enhet?",
        "Okej, jag har avbrutit. Skriv **hjälp** om du vill se vad jag kan.",
        "Jag förstod inte riktigt. Skriv **hjälp** för att se vad jag kan.",
        "Det finns inget att avbryta just nu.",
    ]
