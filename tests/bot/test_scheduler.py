"""The scheduler sweeps at start, when woken by committed work, and on a slow heartbeat."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery.scheduler import INTERVAL_SECONDS, Scheduler


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
    scheduler.start()
    try:
        for _ in range(100):
            if runs:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)
        assert len(runs) == 1  # one sweep at start, then it sleeps

        scheduler.wake()
        for _ in range(100):
            if len(runs) == 2:
                break
            await asyncio.sleep(0.01)
        assert len(runs) == 2
        assert delivered == [True]  # it queued something: the delivery loop is woken
    finally:
        await scheduler.stop()
