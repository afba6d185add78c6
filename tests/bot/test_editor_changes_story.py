"""Editor changes through the real app (R3, R8): never below two editors silently, replacements
invited by card, unreachable editors reported to the manager, change notices to the registry."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from dialogs.notify import queue_text
from domain.clock import FixedClock
from storage.models import AuditEventRow, ChannelEditorRow, ChannelRow, PersonRow
from tests.bot.active_story import (
    EDITOR_A,
    EDITOR_B,
    OUTSIDER,
    active_story,
    card_of,
    cards_to,
    channel_id,
    execute,
    refused,
    settled,
    sweep,
)
from tests.bot.channel_story import Story
from tests.conftest import BotFactory
from tests.support.connector_emulator import ConnectorEmulator
from tests.support.factories import TENANT_ID
from tests.support.fake_graph import FakeGraph
from tests.support.smtp_sink import SmtpSink

REGISTRY = "registret@example.org"  # the shipped default (reaches nobody)


@pytest.fixture
def bot_database_url(database_url: str) -> str:
    """These stories run on SQLite and on PostgreSQL."""
    return database_url


@pytest.fixture
async def story(
    start_bot: BotFactory, emulator: ConnectorEmulator, clock: FixedClock, smtp: SmtpSink, tmp_path
) -> Story:  # type: ignore[no-untyped-def]
    return await active_story(start_bot, emulator, clock, smtp, tmp_path)


async def editor_rows(story: Story) -> dict[str, ChannelEditorRow]:
    """The channel's editor rows by the person's AAD object id."""
    async with story.bot.sessions() as session:
        rows = await session.execute(
            select(ChannelEditorRow, PersonRow.aad_object_id).join(
                PersonRow, PersonRow.id == ChannelEditorRow.person_id
            )
        )
        return {aad: row for row, aad in rows}


async def editors_card(story: Story, user: Any) -> dict[str, Any]:
    await story.say(user, "redaktörer")
    _, shown = story.last_card_to(user.conversation_id)
    return shown


async def test_r3_removing_one_of_two_editors_without_a_replacement_is_refused(story: Story):
    shown = await editors_card(story, EDITOR_B)
    assert "Redaktörer för Ugglan" in str(shown)
    channel = await channel_id(story)
    a = (await editor_rows(story))[EDITOR_A.aad_object_id]

    refused = card_of(
        await execute(
            story, EDITOR_B, "editors.change", {"channel_id": channel, "remove": str(a.id)}
        )
    )

    assert "färre än 2 redaktörer" in str(refused)
    rows = await editor_rows(story)
    assert rows[EDITOR_A.aad_object_id].status == "accepted"
    async with story.bot.sessions() as session:
        row = await session.get(ChannelRow, channel)
    assert row is not None and row.understaffed_since is None


async def test_r3_a_named_replacement_is_invited_and_the_channel_is_understaffed_until_yes(
    story: Story, clock: FixedClock
):
    channel = await channel_id(story)
    a = (await editor_rows(story))[EDITOR_A.aad_object_id]
    done = card_of(
        await execute(
            story,
            EDITOR_B,
            "editors.change",
            {"channel_id": channel, "remove": str(a.id), "replacement": OUTSIDER.aad_object_id},
        )
    )
    assert "Ändringen är sparad" in str(done) and "för få redaktörer" in str(done)
    await settled(story, clock.now())
    invite_id, invite = story.last_card_to(OUTSIDER.conversation_id)
    assert "editor.accept" in str(invite)
    assert any("inte längre redaktör" in t for t in story.emulator.texts(EDITOR_A.conversation_id))
    rows = await editor_rows(story)
    assert rows[EDITOR_A.aad_object_id].status == "removed"
    assert rows[OUTSIDER.aad_object_id].replaces_editor_id == a.id
    async with story.bot.sessions() as session:
        row = await session.get(ChannelRow, channel)
    assert row is not None and row.understaffed_since is not None

    accept = next(x for x in invite["actions"] if x["verb"] == "editor.accept")
    await execute(story, OUTSIDER, "editor.accept", accept["data"], reply_to_id=invite_id)
    async with story.bot.sessions() as session:
        row = await session.get(ChannelRow, channel)
        actions = (await session.scalars(select(AuditEventRow.action))).all()
    assert row is not None and row.understaffed_since is None
    for action in ("editor.removed", "editor.added", "channel.understaffed", "channel.staffed"):
        assert action in actions


async def test_r3_an_editor_whose_delivery_fails_triggers_the_managers_card(
    story: Story, clock: FixedClock
):
    channel = await channel_id(story)
    # Editor A uninstalled the bot: Teams answers 403 to every message to A.
    story.emulator.fail_next(403, times=5, conversation_id=EDITOR_A.conversation_id)
    await execute(
        story, EDITOR_B, "editors.change", {"channel_id": channel, "add": OUTSIDER.aad_object_id}
    )
    async with story.bot.sessions.begin() as session:
        person = (
            await session.scalars(select(PersonRow).where(PersonRow.email == EDITOR_A.email))
        ).one()
        queue_text(session, person, "Hej", clock.now())
    await settled(story, clock.now())
    await settled(story, clock.now())

    cards = [c for i, c in cards_to(story, story.manager) if "Ny redaktör behövs" in str(c)]
    assert len(cards) == 1 and "Testperson Två" in str(cards[0])
    data = next(a["data"] for a in cards[0]["actions"] if a["verb"] == "editor.replace")

    # Only the manager names the replacement; then the unreachable editor is removed.
    replacement = {**data, "replacement": EDITOR_B.aad_object_id}
    assert refused(await execute(story, EDITOR_B, "editor.replace", replacement))
    named = card_of(
        await execute(
            story, story.manager, "editor.replace", {**data, "replacement": OUTSIDER.aad_object_id}
        )
    )
    assert "har fått en inbjudan" in str(named)
    rows = await editor_rows(story)
    assert rows[EDITOR_A.aad_object_id].status == "removed"
    # The sweep, the safety net, does not ask the manager again.
    await sweep(story, clock, clock.now() + timedelta(minutes=5))
    again = [c for _, c in cards_to(story, story.manager) if "Ny redaktör behövs" in str(c)]
    assert len(again) == 1


async def test_r8_a_new_address_or_manager_sends_a_change_notice_to_the_registry(
    story: Story, smtp: SmtpSink, clock: FixedClock
):
    channel = await channel_id(story)
    new_address = "https://www.instagram.com/ugglan_fritid"
    wrong = card_of(
        await execute(
            story,
            EDITOR_A,
            "channel.update",
            {"channel_id": channel, "address": "https://example.com/x"},
        )
    )
    assert "instagram.com" in str(wrong)
    # Only the manager hands the channel over.
    refused = card_of(
        await execute(
            story,
            EDITOR_A,
            "channel.update",
            {"channel_id": channel, "manager": OUTSIDER.aad_object_id},
        )
    )
    assert "Bara kanalens chef" in str(refused)
    done = card_of(
        await execute(
            story, EDITOR_A, "channel.update", {"channel_id": channel, "address": new_address}
        )
    )
    assert "stadsledningsförvaltningen har fått ett meddelande" in str(done)
    handed = card_of(
        await execute(
            story,
            story.manager,
            "channel.update",
            {"channel_id": channel, "manager": OUTSIDER.aad_object_id},
        )
    )
    assert "sparade" in str(handed)
    await settled(story, clock.now())
    notices = [m for m in smtp.received if REGISTRY in m.rcpt_tos]
    assert len(notices) == 2
    assert "Ändring av kanal" in notices[0].subject
    assert f"https://www.instagram.com/ugglan → {new_address}" in notices[0].body_text
    assert "Ansvarig chef:" in notices[1].body_text
    async with story.bot.sessions() as session:
        row = await session.get(ChannelRow, channel)
        outsider = (
            await session.scalars(
                select(PersonRow).where(PersonRow.aad_object_id == OUTSIDER.aad_object_id)
            )
        ).one()
    assert row is not None and row.address == new_address and row.manager_person_id == outsider.id


@pytest.fixture
async def graph() -> AsyncIterator[FakeGraph]:
    async with FakeGraph(tenant_id=TENANT_ID) as fake:
        yield fake


async def test_r3_an_editor_whose_account_is_disabled_in_graph_is_reported_to_the_manager(
    start_bot: BotFactory,
    emulator: ConnectorEmulator,
    clock: FixedClock,
    smtp: SmtpSink,
    graph: FakeGraph,
    tmp_path,  # type: ignore[no-untyped-def]
):
    config = graph.config()
    story = await active_story(
        start_bot,
        emulator,
        clock,
        smtp,
        tmp_path,
        graph_tenant_id=config.tenant_id,
        graph_client_id=config.client_id,
        graph_client_secret=config.client_secret,
        graph_base_url=config.base_url,
        graph_authority_host=config.authority_host,
        graph_ca_file=config.ca_file or "",
    )
    for user, enabled in ((EDITOR_A, False), (EDITOR_B, True)):
        graph.add_user(
            user.aad_object_id, user.name, user.email, user.email or "", account_enabled=enabled
        )
    await sweep(story, clock, clock.now() + timedelta(minutes=1))
    cards = [c for _, c in cards_to(story, story.manager) if "Ny redaktör behövs" in str(c)]
    assert len(cards) == 1 and "kontot är avstängt" in str(cards[0])
