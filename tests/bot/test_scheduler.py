"""The scheduler sweeps at start, when woken by committed work, and on a slow heartbeat."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery.scheduler import INTERVAL_SECONDS, Scheduler


def _watch_sleeps(scheduler: Scheduler) -> asyncio.Event:
    """An event set each time the scheduler goes to sleep after its sweeps (no timed wait)."""
    parked = asyncio.Event()
    sleep = scheduler._sleep

    async def watched() -> None:
        parked.set()
        await sleep()

    scheduler._sleep = watched  # type: ignore[method-assign]
    return parked


async def test_a_wake_sweeps_at_once_and_an_idle_scheduler_does_not_poll(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    runs: list[int] = []
    delivered: list[bool] = []

    async def sweep(_session: AsyncSession) -> int:
        runs.append(1)
        return 1 if len(runs) == 2 else 0

    scheduler = Scheduler(sessions, {"count": sweep}, lambda: delivered.append(True))
    assert INTERVAL_SECONDS >= 300  # a heartbeat, not a poll every minute
    parked = _watch_sleeps(scheduler)
    scheduler.start()
    try:
        await asyncio.wait_for(parked.wait(), 30)
        parked.clear()
        assert len(runs) == 1  # one sweep at start, then it sleeps until woken or the heartbeat

        scheduler.wake()
        await asyncio.wait_for(parked.wait(), 30)
        assert len(runs) == 2
        assert delivered == [True]  # it queued something: the delivery loop is woken
    finally:
        await scheduler.stop()
