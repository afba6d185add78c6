"""People and conversation references: who the bot has met and where it can reach them."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.audit import events_for
from storage.db import session_factory
from storage.models import ConversationReferenceRow, PersonRow
from storage.people import (
    SeenPerson,
    forget_conversation,
    mark_undeliverable,
    personal_conversation,
    tenant_service_url,
    upsert_conversation,
    upsert_person,
)
from tests.conftest import START
from tests.storage.factories import make_seen_conversation, make_seen_person
from tests.support.factories import TENANT_ID

LATER = START + timedelta(days=1)
OTHER_TENANT = "7e57c0de-0000-4000-8000-000000000002"


async def _upsert_person(
    sessions: async_sessionmaker[AsyncSession], seen: SeenPerson, now: datetime = START
) -> PersonRow:
    async with sessions.begin() as session:
        return await upsert_person(session, seen, now)


async def _person(sessions: async_sessionmaker[AsyncSession], person_id: int) -> PersonRow:
    async with sessions() as session:
        person = await session.get(PersonRow, person_id)
    assert person is not None
    return person


async def _count_people(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return await session.scalar(select(func.count()).select_from(PersonRow)) or 0


async def test_upsert_person_creates_a_person(sessions: async_sessionmaker[AsyncSession]) -> None:
    created = await _upsert_person(sessions, make_seen_person(1))

    person = await _person(sessions, created.id)
    assert (person.tenant_id, person.aad_object_id) == (
        TENANT_ID,
        make_seen_person(1).aad_object_id,
    )
    assert (person.name, person.locale, person.teams_user_id) == (
        "Testperson 1",
        "sv-SE",
        "29:1testperson1",
    )
    assert person.created_at == person.updated_at == START
    assert person.undeliverable_at is None


async def test_upsert_person_refreshes_the_same_person(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    created = await _upsert_person(sessions, make_seen_person(1))

    refreshed = await _upsert_person(
        sessions,
        make_seen_person(1, name="Testperson Ett", locale="en-US", teams_user_id=None),
        LATER,
    )

    assert refreshed.id == created.id
    person = await _person(sessions, created.id)
    assert (person.name, person.locale) == ("Testperson Ett", "en-US")
    # What Teams left out this time is kept from before.
    assert person.teams_user_id == "29:1testperson1"
    assert (person.created_at, person.updated_at) == (START, LATER)
    assert await _count_people(sessions) == 1


async def test_people_are_unique_by_tenant_and_aad_object_id(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    first = await _upsert_person(sessions, make_seen_person(1))
    other_tenant = await _upsert_person(sessions, make_seen_person(1, tenant_id=OTHER_TENANT))
    other_person = await _upsert_person(sessions, make_seen_person(2))

    assert len({first.id, other_tenant.id, other_person.id}) == 3
    with pytest.raises(IntegrityError):
        async with sessions.begin() as session:
            session.add(
                PersonRow(
                    tenant_id=TENANT_ID,
                    aad_object_id=make_seen_person(1).aad_object_id,
                    created_at=START,
                    updated_at=START,
                )
            )


async def test_turns_of_a_new_person_at_once_create_one_person_and_one_conversation(
    sessions: async_sessionmaker[AsyncSession], second_engine: AsyncEngine
) -> None:
    # The install event and the first messages arrive together, at two instances.
    instances = [sessions, session_factory(second_engine)]

    async def record(turn: int, index: int) -> tuple[int, int]:
        """What the turn recorder does: the sender and the chat, in one transaction."""
        async with instances[turn % 2].begin() as session:
            person = await upsert_person(session, make_seen_person(index), START)
            chat = make_seen_conversation(f"a:1chat{index}")
            row = await upsert_conversation(session, chat, person.id, START)
            return person.id, row.id

    for index in range(1, 6):
        outcomes = await asyncio.gather(
            *(record(turn, index) for turn in range(4)), return_exceptions=True
        )
        assert len(set(outcomes)) == 1, outcomes  # and no IntegrityError among them

    assert await _count_people(sessions) == 5
    async with sessions() as session:
        chats = await session.scalar(select(func.count()).select_from(ConversationReferenceRow))
    assert chats == 5


async def test_activities_in_a_new_channel_at_once_store_one_reference(
    sessions: async_sessionmaker[AsyncSession], second_engine: AsyncEngine
) -> None:
    instances = [sessions, session_factory(second_engine)]

    async def record(turn: int, conversation_id: str) -> int:
        channel = make_seen_conversation(conversation_id, conversation_type="channel")
        async with instances[turn % 2].begin() as session:
            return (await upsert_conversation(session, channel, None, START)).id

    for number in range(5):
        conversation_id = f"19:kanal{number}@thread.tacv2"
        outcomes = await asyncio.gather(
            *(record(turn, conversation_id) for turn in range(4)), return_exceptions=True
        )
        assert len(set(outcomes)) == 1, outcomes  # and no IntegrityError among them

    async with sessions() as session:
        chats = await session.scalar(select(func.count()).select_from(ConversationReferenceRow))
    assert chats == 5


async def test_contact_clears_undeliverable(sessions: async_sessionmaker[AsyncSession]) -> None:
    created = await _upsert_person(sessions, make_seen_person(1))
    async with sessions.begin() as session:
        await mark_undeliverable(session, created.id, "403: bot blocked", START)

    await _upsert_person(sessions, make_seen_person(1), LATER)

    person = await _person(sessions, created.id)
    assert (person.undeliverable_at, person.undeliverable_reason) == (None, None)


async def test_mark_undeliverable_records_an_audit_event(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    created = await _upsert_person(sessions, make_seen_person(1))

    async with sessions.begin() as session:
        await mark_undeliverable(session, created.id, "403: " + "x" * 400, LATER)

    person = await _person(sessions, created.id)
    assert person.undeliverable_at == LATER
    assert person.undeliverable_reason == ("403: " + "x" * 400)[:256]
    async with sessions() as session:
        [event] = await events_for(session, "person", created.id)
    assert (event.at, event.action, event.actor) == (LATER, "person.undeliverable", "system")
    assert event.details == {"reason": ("403: " + "x" * 400)[:256]}


async def test_mark_undeliverable_of_an_unknown_person_does_nothing(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions.begin() as session:
        await mark_undeliverable(session, 4711, "404", START)

    async with sessions() as session:
        assert await events_for(session, "person", 4711) == []


async def test_upsert_conversation_links_a_personal_chat_to_the_person(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    person = await _upsert_person(sessions, make_seen_person(1))
    chat = make_seen_conversation("a:1chat")

    async with sessions.begin() as session:
        await upsert_conversation(session, chat, person.id, START)

    async with sessions() as session:
        row = await personal_conversation(session, person.id)
    assert row is not None
    assert (row.conversation_id, row.person_id, row.conversation_type) == (
        "a:1chat",
        person.id,
        "personal",
    )
    assert (row.tenant_id, row.service_url, row.channel_id) == (
        TENANT_ID,
        chat.service_url,
        "msteams",
    )
    assert row.reference == chat.reference
    assert row.updated_at == START


async def test_upsert_conversation_does_not_link_a_team_channel(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    person = await _upsert_person(sessions, make_seen_person(1))
    channel = make_seen_conversation("19:kanal@thread.tacv2", conversation_type="channel")

    async with sessions.begin() as session:
        row = await upsert_conversation(session, channel, person.id, START)

    assert row.person_id is None
    async with sessions() as session:
        assert await personal_conversation(session, person.id) is None


async def test_upsert_conversation_refreshes_a_known_conversation(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    person = await _upsert_person(sessions, make_seen_person(1))
    async with sessions.begin() as session:
        first = await upsert_conversation(
            session, make_seen_conversation("a:1chat"), person.id, START
        )

    moved = make_seen_conversation("a:1chat", service_url="https://smba.example/amer/")
    async with sessions.begin() as session:
        # An activity without a known sender does not unlink the chat from its person.
        again = await upsert_conversation(session, moved, None, LATER)

    assert again.id == first.id
    async with sessions() as session:
        rows = (await session.scalars(select(ConversationReferenceRow))).all()
    assert [(r.service_url, r.person_id, r.updated_at) for r in rows] == [
        ("https://smba.example/amer/", person.id, LATER)
    ]


async def test_personal_conversation_returns_the_newest(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    person = await _upsert_person(sessions, make_seen_person(1))
    someone_else = await _upsert_person(sessions, make_seen_person(2))
    async with sessions.begin() as session:
        await upsert_conversation(session, make_seen_conversation("a:1nyare"), person.id, LATER)
        await upsert_conversation(session, make_seen_conversation("a:1aldre"), person.id, START)
        await upsert_conversation(
            session, make_seen_conversation("a:1annan"), someone_else.id, LATER + timedelta(1)
        )

    async with sessions() as session:
        newest = await personal_conversation(session, person.id)
        nobody = await personal_conversation(session, 4711)

    assert newest is not None and newest.conversation_id == "a:1nyare"
    assert nobody is None


async def test_tenant_service_url_is_the_most_recent(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions.begin() as session:
        await upsert_conversation(
            session, make_seen_conversation("a:1ny", service_url="https://ny/"), None, LATER
        )
        await upsert_conversation(
            session,
            make_seen_conversation("a:1gammal", service_url="https://gammal/"),
            None,
            START,
        )
        await upsert_conversation(
            session,
            make_seen_conversation(
                "a:1annan", tenant_id=OTHER_TENANT, service_url="https://annan/"
            ),
            None,
            LATER + timedelta(hours=1),
        )

    async with sessions() as session:
        assert await tenant_service_url(session, TENANT_ID) == "https://ny/"
        assert await tenant_service_url(session, OTHER_TENANT) == "https://annan/"
        assert await tenant_service_url(session, "okänd") is None


async def test_forget_conversation(sessions: async_sessionmaker[AsyncSession]) -> None:
    person = await _upsert_person(sessions, make_seen_person(1))
    async with sessions.begin() as session:
        await upsert_conversation(session, make_seen_conversation("a:1borta"), person.id, START)
        await upsert_conversation(session, make_seen_conversation("a:1kvar"), person.id, START)

    async with sessions.begin() as session:
        await forget_conversation(session, "a:1borta")
        await forget_conversation(session, "a:1aldrig-sedd")

    async with sessions() as session:
        remaining = (await session.scalars(select(ConversationReferenceRow.conversation_id))).all()
    assert remaining == ["a:1kvar"]
    # The person stays; only the way to reach them through that chat is gone.
    assert (await _person(sessions, person.id)).id == person.id


async def test_an_activity_of_another_tenant_or_person_never_redirects_a_conversation(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Issue 15: a personal chat stays its person's, and a conversation its tenant's."""
    owner = await _upsert_person(sessions, make_seen_person(1))
    stranger = await _upsert_person(sessions, make_seen_person(2, tenant_id=OTHER_TENANT))
    neighbour = await _upsert_person(sessions, make_seen_person(3))
    chat = make_seen_conversation()
    async with sessions.begin() as session:
        await upsert_conversation(session, chat, owner.id, START)

    forged = (
        (
            make_seen_conversation(tenant_id=OTHER_TENANT, service_url="https://evil.example/"),
            stranger.id,
        ),
        (make_seen_conversation(service_url="https://evil.example/"), neighbour.id),
    )
    for seen, person_id in forged:
        async with sessions.begin() as session:
            await upsert_conversation(session, seen, person_id, LATER)

    async with sessions() as session:
        row = await personal_conversation(session, owner.id)
        assert row is not None
        assert (row.person_id, row.tenant_id, row.service_url) == (
            owner.id,
            TENANT_ID,
            chat.service_url,
        )
        assert await personal_conversation(session, stranger.id) is None
        assert await personal_conversation(session, neighbour.id) is None

    # The owner's own activity still refreshes it.
    async with sessions.begin() as session:
        moved = make_seen_conversation(service_url="https://smba.trafficmanager.net/emea/")
        await upsert_conversation(session, moved, owner.id, LATER)
    async with sessions() as session:
        row = await personal_conversation(session, owner.id)
        assert row is not None and row.service_url == "https://smba.trafficmanager.net/emea/"
