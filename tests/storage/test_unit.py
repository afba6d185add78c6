"""Issue 23: one unit of work per click (storage/unit.py), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import AppSettingRow
from storage.unit import UnitSessions
from tests.conftest import START


def _setting(key: str) -> AppSettingRow:
    return AppSettingRow(key=key, value="v", updated_at=START)


async def _keys(sessions: async_sessionmaker[AsyncSession]) -> list[str]:
    async with sessions() as session:
        return list(await session.scalars(select(AppSettingRow.key).order_by(AppSettingRow.key)))


async def test_every_session_inside_a_unit_is_the_units_one_committed_once(
    sessions: async_sessionmaker[AsyncSession],
):
    unit = UnitSessions(sessions)
    woken: list[list[str]] = []
    async with unit.unit() as outer:
        async with unit.begin() as first:
            first.add(_setting("a"))
        async with unit() as second:
            second.add(_setting("b"))
            assert second is first is outer
        # Nothing is visible outside the unit before its commit; a wake-up waits for it.
        assert await _keys(sessions) == []
        unit.defer(lambda: woken.append(["after"]))
        assert woken == []
    assert await _keys(sessions) == ["a", "b"]
    assert woken == [["after"]]


async def test_a_failing_unit_keeps_nothing_and_wakes_nobody(
    sessions: async_sessionmaker[AsyncSession],
):
    unit = UnitSessions(sessions)
    woken: list[str] = []
    with pytest.raises(RuntimeError):
        async with unit.unit():
            async with unit.begin() as session:
                session.add(_setting("a"))
            unit.defer(lambda: woken.append("x"))
            raise RuntimeError("the flow failed")
    assert await _keys(sessions) == []
    assert woken == []


async def test_outside_a_unit_each_session_is_its_own(sessions: async_sessionmaker[AsyncSession]):
    unit = UnitSessions(sessions)
    async with unit.begin() as session:
        session.add(_setting("a"))
    assert await _keys(sessions) == ["a"]
    woken: list[str] = []
    unit.defer(lambda: woken.append("now"))
    assert woken == ["now"]
