"""A requester's Markdown reaches the manager's approval card as text, never as a link (issue 24).

Teams renders a card's TextBlocks and FactSets as Markdown: a `[…](https://…)` in a channel's
name, purpose or plan would be a link on the manager's card, `**…**` bold. Through the real app
and the Teams emulator, the requester files a request whose texts carry both.
"""

from __future__ import annotations

from pathlib import Path

from bot.settings import Settings
from cards.common import escape_md
from tests.bot.channel_story import Story, form_answers
from tests.cards.test_markdown_escape import shown_texts
from tests.conftest import BotFactory
from tests.support.connector_emulator import ConnectorEmulator

LINK = "[Öppna formuläret](https://evil.example/login)"
BOLD = "**Godkänn direkt**"


async def test_a_requesters_markdown_reaches_the_managers_card_escaped(
    start_bot: BotFactory, emulator: ConnectorEmulator, tmp_path: Path
) -> None:
    story = Story(await start_bot(Settings(files_dir=tmp_path / "files")), emulator)
    await story.say(story.requester, "ny kanal")
    form_id, _ = story.last_card_to(story.requester.conversation_id)
    answers = form_answers(
        story.editor,
        story.manager,
        name=f"Ugglan {BOLD}",
        unit=f"Fritid {LINK}",
        purpose=f"Se {LINK} och {BOLD}.",
        goals=f"- {LINK}",
        login_reference=f"Valvet {LINK}",
    )

    await story.click(story.requester, "channel.submit", answers, reply_to_id=form_id)
    _, card = await story.wait_card_to(story.manager)

    texts = list(shown_texts(card))
    assert [text for text in texts if LINK in text or BOLD in text] == []
    shown = "\n".join(texts)
    assert escape_md(LINK) in shown and escape_md(BOLD) in shown
    assert f"Se {escape_md(LINK)} och {escape_md(BOLD)}." in texts  # the purpose, as typed
