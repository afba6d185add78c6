"""The scheduler: sweeps that queue what has become due (reminders).

It sweeps at start, whenever a flow commits work (`wake()`: a channel became active, a round
was documented, a consent recorded), and otherwise on a slow heartbeat for time passing:
reminders are decided by the day, and the outbox holds each until its office-hours moment.
A sweep selects with an indexed query and queues with a dedupe key, so running it twice, or on
two instances at once, queues nothing twice. `kanalkollen remind --at` runs the same sweeps once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialogs.wiring import Sweep

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 900.0
STOP_GRACE_SECONDS = 10.0


class Scheduler:
    """Runs the sweeps one after another, each in its own transaction."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        sweeps: Mapping[str, Sweep],
        wake_delivery: Callable[[], None],
        interval_seconds: float = INTERVAL_SECONDS,
    ) -> None:
        self._sessions = sessions
        self._sweeps = dict(sweeps)
        self._wake_delivery = wake_delivery
        self._interval = interval_seconds
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._woken = asyncio.Event()

    def wake(self) -> None:
        """Sweeps again soon: something was committed that a sweep may act on."""
        self._woken.set()

    async def run_once(self) -> dict[str, int]:
        """Runs every sweep once; returns how many messages each queued."""
        queued: dict[str, int] = {}
        for name, sweep in self._sweeps.items():
            async with self._sessions.begin() as session:
                queued[name] = await sweep(session)
        if any(queued.values()):
            self._wake_delivery()
        return queued

    def start(self) -> None:
        """Starts sweeping in the background."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="kanalkollen-scheduler")

    async def stop(self) -> None:
        """Stops after the sweep in hand (a sweep is one short transaction)."""
        if self._task is None:
            return
        self._stopping.set()
        try:
            await asyncio.wait_for(asyncio.shield(self._task), STOP_GRACE_SECONDS)
        except TimeoutError:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._task = None
        self._stopping.clear()

    async def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                queued = await self.run_once()
                if any(queued.values()):
                    log.info("scheduler queued %s", queued)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("scheduler: a sweep failed; trying again next interval")
            await self._sleep()

    async def _sleep(self) -> None:
        """Until woken, stopped or the heartbeat, whichever comes first."""
        waits = [
            asyncio.ensure_future(self._stopping.wait()),
            asyncio.ensure_future(self._woken.wait()),
        ]
        try:
            await asyncio.wait(waits, timeout=self._interval, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiting in waits:
                waiting.cancel()
            self._woken.clear()
