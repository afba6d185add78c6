"""Asking Kanalkollen about the rules, through the real app (issue 14).

A question that is no command and no answer to an open dialog gets a card that cites the
rule with the policy's own numbers and the guideline's sentence, and a button that starts the
flow; a question the rules do not answer gets the honest answer and no rule.
"""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

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

from domain.answers import knowledge
from domain.answers.bounds import MAX_QUESTION_CHARS
from domain.policy import ChannelPolicy, ConsentPolicy, Policy, TemplatePolicy
from tests.bot.channel_story import Story
from tests.conftest import BotFactory
from tests.support.connector_emulator import ConnectorEmulator
from tests.support.factories import make_message

R3_QUOTE = "Varje kanal ska ha två redaktörer som administrerar den, men ni får gärna vara fler."
PLAN_URL = "https://intranat.example.org/mallar/plan-for-sociala-medier.docx"


def _text(card: dict[str, Any]) -> str:
    """Every text of a card, in one string."""
    return json.dumps(card, ensure_ascii=False)


def _im_back(card: dict[str, Any], title: str) -> str:
    """The message Teams sends for the person when they press the card's button (imBack)."""
    for action in card.get("actions", []):
        if action["title"] == title:
            assert action["type"] == "Action.Submit"
            assert action["data"]["msteams"]["type"] == "imBack"
            return str(action["data"]["msteams"]["value"])
    raise AssertionError(f"no button {title!r} in {[a['title'] for a in card['actions']]}")


async def _ask(story: Story, text: str, locale: str = "sv-SE") -> dict[str, Any]:
    await story.say(story.requester, text, locale=locale)
    return story.emulator.cards(story.requester.conversation_id)[-1]


async def test_a_question_cites_the_rule_with_the_policys_number_and_starts_the_flow(
    start_bot: BotFactory, emulator: ConnectorEmulator
) -> None:
    policy = Policy(
        channels=ChannelPolicy(min_editors=3),
        templates=TemplatePolicy(plan_template_url=PLAN_URL),
    )
    story = Story(await start_bot(policy=policy), emulator)

    card = await _ask(story, "maste jag ha tva redaktorer")

    text = _text(card)
    assert "Regel R3" in text
    assert "minst 3 redaktörer" in text  # the policy's number, not the guideline's "två"
    assert R3_QUOTE in text
    assert "Regel R" not in text.replace("Regel R3", "")  # nothing else cited
    # The button types "ny kanal" for the person, and the new-channel form appears.
    await story.say(story.requester, _im_back(card, "Ny kanal"))
    form = emulator.cards(story.requester.conversation_id)[-1]
    assert form["body"][0]["text"] == "Ny kanal i sociala medier"


async def test_the_answer_shows_the_template_link_and_the_other_numbers(
    start_bot: BotFactory, emulator: ConnectorEmulator
) -> None:
    policy = Policy(
        channels=ChannelPolicy(documentation_interval_months=3),
        consent=ConsentPolicy(guardian_age=16),
        templates=TemplatePolicy(plan_template_url=PLAN_URL),
    )
    story = Story(await start_bot(policy=policy), emulator)

    plan = _text(await _ask(story, "Var hittar jag mallen till planen?"))
    assert "Regel R5" in plan and PLAN_URL in plan
    documentation = await _ask(story, "Hur ofta ska jag dokumentera kanalen?")
    assert "Regel R12" in _text(documentation)
    assert "minst var 3:e månad" in _text(documentation)
    assert _im_back(documentation, "Mina kanaler") == "mina kanaler"
    children = _text(await _ask(story, "Får jag lägga upp en film där barn syns?"))
    assert "Regel R9" in children and "under 16 år" in children


async def test_a_wish_offers_the_flow_that_does_it(
    start_bot: BotFactory, emulator: ConnectorEmulator
) -> None:
    story = Story(await start_bot(), emulator)

    card = await _ask(story, "eleven vill inte längre vara med på bilden")

    assert "Regel R9" in _text(card)
    assert _im_back(card, "Återkalla samtycke") == "återkalla samtycke"


async def test_english_locale_gets_english(
    start_bot: BotFactory, emulator: ConnectorEmulator
) -> None:
    story = Story(await start_bot(), emulator)

    card = await _ask(story, "Do I need two editors?", locale="en-US")

    text = _text(card)
    assert "Rule R3" in text and "at least 2 editors" in text
    assert "our translation from Swedish" in text
    assert _im_back(card, "New channel") == "new channel"


async def test_a_question_the_rules_do_not_answer_is_told_so_and_cites_nothing(
    start_bot: BotFactory, emulator: ConnectorEmulator
) -> None:
    story = Story(await start_bot(), emulator)

    await story.say(story.requester, "Vad kostar en annons på Instagram?")

    [record] = emulator.sent
    assert record.text == "Jag förstod inte riktigt. Skriv **hjälp** för att se vad jag kan."
    [card] = emulator.cards(story.requester.conversation_id)
    text = _text(card)
    assert "bara svara på frågor om stadens regler för sociala medier" in text
    assert "avdelningen kommunikation och marknad" in text
    assert "ny kanal" in text and "samtycke" in text  # the help card's commands
    assert "Regel R" not in text


def _unit_flow() -> ComponentDialog:
    """A flow that asks for the unit and repeats the answer, whatever it is."""

    async def ask(step: WaterfallStepContext) -> DialogTurnResult:
        return await step.prompt("text", PromptOptions(prompt=MessageFactory.text("Enhet?")))

    async def repeat(step: WaterfallStepContext) -> DialogTurnResult:
        await step.context.send_activity(f"Enhet: {step.result}")
        return await step.end_dialog()

    flow = ComponentDialog("unit_flow")
    flow.add_dialog(WaterfallDialog("unit", [ask, repeat]))
    flow.add_dialog(TextPrompt("text"))
    flow.initial_dialog_id = "unit"
    return flow


async def test_an_open_dialog_gets_the_text_not_the_answerer(
    start_bot: BotFactory, emulator: ConnectorEmulator
) -> None:
    story = Story(await start_bot(flows={"enhet": _unit_flow()}), emulator)

    await story.say(story.requester, "enhet")
    await story.say(story.requester, "Måste jag ha två redaktörer?")

    assert emulator.texts(story.requester.conversation_id) == [
        "Enhet?",
        "Enhet: Måste jag ha två redaktörer?",
    ]
    assert emulator.cards(story.requester.conversation_id) == []


async def test_a_pasted_page_is_read_as_its_start_off_the_loop_and_nobody_else_waits(
    start_bot: BotFactory, emulator: ConnectorEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 24: one person pastes 50,000 characters; another person's `hjälp` is answered
    while the paste is still being read, the reading happens off the event loop, and only the
    first characters are read."""
    story = Story(await start_bot(), emulator)
    loop = asyncio.get_running_loop()
    reading, release = asyncio.Event(), threading.Event()
    read: list[tuple[int, bool]] = []
    original = knowledge.find

    def find(text: str, language: str, extra_dir: str = "") -> knowledge.Finding:
        try:
            asyncio.get_running_loop()
            on_loop = True
        except RuntimeError:
            on_loop = False
        read.append((len(text), on_loop))
        loop.call_soon_threadsafe(reading.set)
        # Holds the paste's reading until the other person is answered; the timeout only
        # keeps a broken bot (reading on the loop) from hanging the test run.
        release.wait(timeout=10)
        return original(text, language, extra_dir)

    monkeypatch.setattr(knowledge, "find", find)
    paste = ("Måste jag ha två redaktörer? " + "Lorem ipsum dolor sit amet. " * 2000)[:50_000]
    pasted = asyncio.create_task(
        story.bot.post(make_message(paste, user=story.requester, service_url=emulator.service_url))
    )
    await reading.wait()

    await story.say(story.editor, "hjälp")  # answered while the paste is still being read

    assert emulator.cards(story.editor.conversation_id)  # the help card
    assert emulator.cards(story.requester.conversation_id) == []  # the paste: not yet
    release.set()
    status, _ = await pasted
    assert status == 200
    await emulator.wait_for(lambda e: bool(e.cards(story.requester.conversation_id)))
    assert "Regel R3" in _text(emulator.cards(story.requester.conversation_id)[-1])
    assert read == [(MAX_QUESTION_CHARS, False)]  # the start only, off the event loop
