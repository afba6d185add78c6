"""Scoped queries (issue 15): an organisation's selection never holds another organisation's
channels, nor an administration's another administration's, on every backend."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.channels import EditorStatus, channels_of_person, get_channel, nominate
from storage.consents import (
    editable_channels,
    may_see_channel,
    posts_without_address,
    tasks_needing_attention,
    visible_channels,
)
from storage.documentation import channels_due_by
from storage.models import (
    ChannelRow,
    ConsentCheckConsentRow,
    ConsentCheckRow,
    ConsentRow,
    RemovalTaskRow,
)
from storage.organisations import (
    channel_counts,
    in_scope,
    move_channels,
    organisations_in_use,
    within,
)
from storage.people import ensure_person
from storage.registry import public_channels, registry_choices
from tests.conftest import START

TENANT_A = "7e57c0de-0000-4000-8000-00000000000a"
TENANT_B = "7e57c0de-0000-4000-8000-00000000000b"
# (organisation, administration, tenant, status, unit) of each channel, in id order.
CHANNELS = [
    ("goteborg", "sof", TENANT_A, "active", "Åby skola"),
    ("goteborg", "sof", TENANT_A, "pending_approval", "Åby skola"),
    ("goteborg", "kultur", TENANT_A, "active", "Stadsbiblioteket"),
    ("molndal", "default", TENANT_B, "active", "Mölndals fritidsgård"),
    ("molndal", "default", TENANT_B, "closed", "Mölndals fritidsgård"),
]
HORIZON = date(2027, 1, 1)
LATER = START + timedelta(days=30)


async def _seed(sessions: async_sessionmaker[AsyncSession]) -> dict[str, Any]:
    """Stores CHANNELS, each with one person as requester, manager and accepted editor, and
    a published post without address and an open removal task on every channel."""
    async with sessions.begin() as session:
        person = await ensure_person(
            session, TENANT_A, "a0a0a0a0-0000-4000-8000-000000000001", START
        )
        ids = {}
        for number, (organisation, administration, tenant, status, unit) in enumerate(
            CHANNELS, start=1
        ):
            channel = ChannelRow(
                tenant_id=tenant,
                organisation=organisation,
                administration=administration,
                status=status,
                platform="instagram",
                name=f"Kanal {number}",
                unit=unit,
                purpose="Visa verksamheten",
                plan={},
                login_reference="Valvet",
                requester_person_id=person.id,
                manager_person_id=person.id,
                manager_source="graph",
                address=f"https://www.instagram.com/kanal{number}",
                start_date=date(2026, 1, 5),
                next_documentation_due=date(2026, 7, 5) + timedelta(days=number),
                created_at=START,
                updated_at=START,
            )
            session.add(channel)
            await session.flush()
            ids[number] = channel.id
            await nominate(
                session,
                channel.id,
                person.id,
                by_person_id=person.id,
                now=START,
                status=EditorStatus.ACCEPTED,
            )
            await _post_and_task(session, channel.id, person.id)
        return {"person": person.id, "ids": ids}


async def _post_and_task(session: AsyncSession, channel_id: int, person_id: int) -> None:
    consent = ConsentRow(
        channel_id=channel_id,
        subject="Elev A",
        scope="one_post",
        form="oral",
        recorded_by_person_id=person_id,
        recorded_at=START,
    )
    check = ConsentCheckRow(
        channel_id=channel_id, person_id=person_id, answers={}, outcome="publish", checked_at=START
    )
    session.add_all([consent, check])
    await session.flush()
    session.add(ConsentCheckConsentRow(check_id=check.id, consent_id=consent.id))
    session.add(
        RemovalTaskRow(
            consent_id=consent.id, check_id=check.id, channel_id=channel_id, created_at=START
        )
    )


Query = Callable[[AsyncSession, int, dict[str, Any]], Awaitable[set[int]]]


async def _of_person(session: AsyncSession, person: int, scope: dict[str, Any]) -> set[int]:
    return {c.id for c in await channels_of_person(session, person, **scope)}


async def _due(session: AsyncSession, person: int, scope: dict[str, Any]) -> set[int]:
    return {c.id for c in await channels_due_by(session, HORIZON, **scope)}


async def _public(session: AsyncSession, person: int, scope: dict[str, Any]) -> set[int]:
    listed = await public_channels(session, "Förvaltningen", **scope)
    numbers = {c.name.removeprefix("Kanal ") for c in listed}
    return {int(n) for n in numbers}


async def _editable(session: AsyncSession, person: int, scope: dict[str, Any]) -> set[int]:
    return {c.id for c in await editable_channels(session, person, **scope)}


async def _visible(session: AsyncSession, person: int, scope: dict[str, Any]) -> set[int]:
    return {c.id for c in await visible_channels(session, person, **scope)}


async def _posts(session: AsyncSession, person: int, scope: dict[str, Any]) -> set[int]:
    return {c.channel_id for c in await posts_without_address(session, LATER, 100, **scope)}


async def _tasks(session: AsyncSession, person: int, scope: dict[str, Any]) -> set[int]:
    found = await tasks_needing_attention(session, remind_before=LATER, limit=100, **scope)
    return {t.channel_id for t in found}


async def _get(session: AsyncSession, person: int, scope: dict[str, Any]) -> set[int]:
    found = [await get_channel(session, number, **scope) for number in range(1, 6)]
    return {c.id for c in found if c is not None}


async def _may_see(session: AsyncSession, person: int, scope: dict[str, Any]) -> set[int]:
    return {n for n in range(1, 6) if await may_see_channel(session, person, n, **scope)}


# Each query with the channels (numbers of CHANNELS) it finds when nothing is scoped.
QUERIES: list[tuple[Query, set[int]]] = [
    (_get, {1, 2, 3, 4, 5}),
    (_of_person, {1, 2, 3, 4, 5}),
    (_due, {1, 3, 4}),
    (_public, {1, 3, 4}),
    (_editable, {1, 3, 4}),
    (_visible, {1, 2, 3, 4, 5}),
    (_may_see, {1, 2, 3, 4, 5}),
    (_posts, {1, 3, 4}),
    (_tasks, {1, 2, 3, 4, 5}),
]
GOTEBORG = {1, 2, 3}
MOLNDAL = {4, 5}
SOF = {1, 2}


@pytest.mark.parametrize(
    ("query", "everything"), QUERIES, ids=lambda q: getattr(q, "__name__", "")
)
async def test_an_organisation_sees_only_its_own_channels(
    sessions: async_sessionmaker[AsyncSession], query: Query, everything: set[int]
):
    seeded = await _seed(sessions)
    assert seeded["ids"] == {n: n for n in range(1, 6)}
    person = seeded["person"]

    async with sessions() as session:
        unscoped = await query(session, person, {})
        goteborg = await query(session, person, {"organisation": "goteborg"})
        molndal = await query(session, person, {"organisation": "molndal"})
        nobody = await query(session, person, {"organisation": "uddevalla"})
        sof = await query(session, person, {"organisation": "goteborg", "administration": "sof"})
        both = await query(
            session, person, {"organisation": "goteborg", "administration": ["sof", "kultur"]}
        )
        none = await query(session, person, {"organisation": "goteborg", "administration": []})
        # An administration slug of another organisation finds nothing in this one.
        foreign = await query(
            session, person, {"organisation": "molndal", "administration": "sof"}
        )

    assert unscoped == everything
    assert goteborg == everything & GOTEBORG
    assert molndal == everything & MOLNDAL
    assert nobody == set()
    assert sof == everything & SOF
    assert both == everything & GOTEBORG
    assert none == set()
    assert foreign == set()


async def test_the_due_sweep_pages_through_one_organisation_only(
    sessions: async_sessionmaker[AsyncSession],
):
    await _seed(sessions)

    async with sessions() as session:
        first = await channels_due_by(session, HORIZON, limit=1, organisation="goteborg")
        (row,) = first
        rest = await channels_due_by(
            session,
            HORIZON,
            limit=10,
            after=(row.next_documentation_due, row.id),
            organisation="goteborg",
        )

    assert [(c.id, c.organisation, c.administration) for c in [*first, *rest]] == [
        (1, "goteborg", "sof"),
        (3, "goteborg", "kultur"),
    ]


async def test_the_public_list_names_each_rows_administration(
    sessions: async_sessionmaker[AsyncSession],
):
    await _seed(sessions)

    async with sessions() as session:
        listed = await public_channels(
            session, {"sof": "Skol- och fritidsförvaltningen"}, organisation="goteborg"
        )
        choices = await registry_choices(session, organisation="molndal")
        sof_choices = await registry_choices(
            session, organisation="goteborg", administration="sof"
        )

    assert sorted((c.name, c.administration) for c in listed) == [
        ("Kanal 1", "Skol- och fritidsförvaltningen"),
        ("Kanal 3", "kultur"),
    ]
    assert choices.units == ("Mölndals fritidsgård",)
    assert sof_choices.units == ("Åby skola",)


async def test_counts_per_administration_stay_in_the_organisation(
    sessions: async_sessionmaker[AsyncSession],
):
    await _seed(sessions)

    async with sessions() as session:
        goteborg = await channel_counts(session, "goteborg")
        sof = await channel_counts(session, "goteborg", administration="sof")
        in_use = await organisations_in_use(session)

    assert goteborg == {"sof": {"active": 1, "pending_approval": 1}, "kultur": {"active": 1}}
    assert sof == {"sof": {"active": 1, "pending_approval": 1}}
    assert in_use == {"goteborg": {"sof", "kultur"}, "molndal": {"default"}}


async def test_moving_channels_between_administrations_stays_in_the_organisation(
    sessions: async_sessionmaker[AsyncSession],
):
    await _seed(sessions)

    async with sessions.begin() as session:
        moved = await move_channels(
            session,
            "goteborg",
            "goteborg",
            administration="sof",
            to_administration="kultur",
            channel_ids=[2],
        )
        none = await move_channels(
            session, "goteborg", "goteborg", administration="default", to_administration="kultur"
        )

    async with sessions() as session:
        placed = await session.execute(
            select(ChannelRow.id, ChannelRow.organisation, ChannelRow.administration).order_by(
                ChannelRow.id
            )
        )
        assert (moved, none) == (1, 0)
        assert [tuple(row) for row in placed] == [
            (1, "goteborg", "sof"),
            (2, "goteborg", "kultur"),
            (3, "goteborg", "kultur"),
            (4, "molndal", "default"),
            (5, "molndal", "default"),
        ]


def test_an_administration_filter_needs_its_organisation():
    with pytest.raises(ValueError, match="needs its organisation"):
        in_scope(select(ChannelRow.id), organisation=None, administration="sof")


@pytest.mark.parametrize(
    ("scopes", "numbers"),
    [
        (None, {1, 2, 3, 4, 5}),
        ({}, set()),
        ({"molndal": None}, {4, 5}),
        ({"goteborg": {"kultur"}}, {3}),
        ({"goteborg": {"sof"}, "molndal": None}, {1, 2, 4, 5}),
        ({"goteborg": {"sof", "kultur"}}, {1, 2, 3}),
        ({"nowhere": None}, set()),
    ],
)
async def test_a_sweep_group_selects_exactly_its_administrations(
    sessions: async_sessionmaker[AsyncSession], scopes: Any, numbers: set[int]
):
    seeded = await _seed(sessions)
    wanted = {seeded["ids"][n] for n in numbers}
    async with sessions() as session:
        channels = set(await session.scalars(within(select(ChannelRow.id), scopes)))
        checks = await posts_without_address(session, LATER, 100, scopes=scopes)
        tasks = await tasks_needing_attention(
            session, remind_before=LATER, limit=100, scopes=scopes
        )
    live = {seeded["ids"][n] for n in numbers if CHANNELS[n - 1][3] == "active"}
    assert channels == wanted
    assert {c.channel_id for c in checks} == live  # posts are asked for on live channels only
    assert {t.channel_id for t in tasks} == wanted
