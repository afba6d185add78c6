"""The capture queue: one capture claimed at a time, with a lease, once per day and address."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.captures import CaptureStatus, CaptureStore, request_capture
from storage.models import ChannelRow, PersonRow
from tests.conftest import START

DUE = date(2026, 3, 17)
LEASE = 60.0


async def _channel(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions.begin() as session:
        row = ChannelRow(
            tenant_id="t",
            status="active",
            platform="instagram",
            name="Ugglan",
            unit="Ugglan",
            purpose="-",
            plan={},
            login_reference="-",
            manager_source="directory",
            address="https://www.instagram.com/ugglan",
            created_at=START,
            updated_at=START,
        )
        session.add(row)
        await session.flush()
        return row.id


async def _request(sessions: async_sessionmaker[AsyncSession], channel_id: int, url: str) -> bool:
    async with sessions.begin() as session:
        return await request_capture(
            session, channel_id=channel_id, round_due=DUE, url=url, now=START, on=START.date()
        )


async def test_the_same_capture_is_queued_once_a_day(sessions):
    channel = await _channel(sessions)
    assert await _request(sessions, channel, "https://www.instagram.com/ugglan")
    assert not await _request(sessions, channel, "https://www.instagram.com/ugglan")
    assert await _request(sessions, channel, "https://www.instagram.com/ugglan/reels")
    assert len(await CaptureStore(sessions).for_round(channel, DUE)) == 2


async def test_one_capture_at_a_time_and_two_instances_never_take_the_same(sessions):
    channel = await _channel(sessions)
    await _request(sessions, channel, "https://www.instagram.com/ugglan")
    await _request(sessions, channel, "https://www.instagram.com/ugglan/reels")
    store = CaptureStore(sessions)
    first = await store.claim("a", START, LEASE)
    second = await store.claim("b", START, LEASE)
    assert first is not None and second is not None and first.id != second.id
    assert await store.claim("c", START, LEASE) is None
    async with sessions.begin() as session:
        assert await store.finish(session, first, CaptureStatus.DONE, {"files": []}, START)
    async with sessions.begin() as session:  # a second finish by the same claim is refused
        assert not await store.finish(session, first, CaptureStatus.DONE, {}, START)


async def test_a_capture_whose_lease_ran_out_is_taken_again(sessions):
    channel = await _channel(sessions)
    await _request(sessions, channel, "https://www.instagram.com/ugglan")
    store = CaptureStore(sessions)
    crashed = await store.claim("a", START, LEASE)
    assert crashed is not None
    assert await store.claim("b", START + timedelta(seconds=30), LEASE) is None
    again = await store.claim("b", START + timedelta(seconds=61), LEASE)
    assert again is not None and again.id == crashed.id and again.attempts == 2
    async with sessions.begin() as session:  # the crashed instance's late answer is not kept
        assert not await store.finish(session, crashed, CaptureStatus.DONE, {}, START)


async def test_an_unfinished_capture_of_the_round_can_be_shown_to_an_editor_once(sessions):
    channel = await _channel(sessions)
    await _request(sessions, channel, "https://www.instagram.com/ugglan")
    store = CaptureStore(sessions)
    [job] = await store.for_round(channel, DUE)
    async with sessions.begin() as session:
        person = PersonRow(tenant_id="t", aad_object_id="a", created_at=START, updated_at=START)
        session.add(person)
        await session.flush()
        person_id = person.id
    assert await store.show_to(job.id, person_id)
    assert not await store.show_to(job.id, person_id)  # it has an editor now
    [job] = await store.for_round(channel, DUE)
    assert job.person_id == person_id
