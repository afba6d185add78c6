"""One unit of work per card click: one database session and one transaction.

`UnitSessions` stands where a session factory stands. Outside a unit it is the factory. Inside
`unit()` (the card-action wrapper opens one per click), every `sessions()` and
`sessions.begin()` a flow opens is that click's one session, committed once when the click's
work is done and rolled back whole when it fails; what the flow wants done after its commit
(waking the delivery loop) waits for that commit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker


@dataclass
class _Unit:
    session: AsyncSession
    after_commit: list[Callable[[], None]] = field(default_factory=list)


_CURRENT: ContextVar[_Unit | None] = ContextVar("kanalkollen_unit", default=None)


class UnitSessions:
    """A session factory that hands out the current unit's session inside a unit."""

    def __init__(self, factory: async_sessionmaker[AsyncSession]) -> None:
        self.factory = factory

    def __call__(self) -> AbstractAsyncContextManager[AsyncSession]:
        """A session: the unit's inside a unit, else a new one."""
        unit = _CURRENT.get()
        return _joined(unit) if unit is not None else self.factory()

    def begin(self) -> AbstractAsyncContextManager[AsyncSession]:
        """A session in a transaction: the unit's inside a unit, else a new one."""
        unit = _CURRENT.get()
        return _joined(unit) if unit is not None else self.factory.begin()

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[AsyncSession]:
        """Opens the unit: one session and transaction, committed when the block ends."""
        if (outer := _CURRENT.get()) is not None:  # a unit inside a unit is the same unit
            yield outer.session
            return
        found = _Unit(self.factory())
        token = _CURRENT.set(found)
        try:
            async with found.session as session, session.begin():
                yield session
        finally:
            _CURRENT.reset(token)
        for callback in found.after_commit:
            callback()

    def defer(self, callback: Callable[[], None]) -> None:
        """Runs the callback after the unit's commit (now, outside a unit)."""
        unit = _CURRENT.get()
        if unit is None:
            callback()
        else:
            unit.after_commit.append(callback)


@asynccontextmanager
async def _joined(unit: _Unit) -> AsyncIterator[AsyncSession]:
    """The unit's session for a flow's `async with`: flushed at the end, never closed here."""
    yield unit.session
    await unit.session.flush()
