"""Counts what a piece of work asks of the database: connections checked out of the pool
(sessions) and transactions committed (issue 23: one click, one session)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine


@contextmanager
def counted(engine: AsyncEngine) -> Iterator[dict[str, int]]:
    """{"sessions": checkouts, "commits": commits} while the block runs."""
    sync = engine.sync_engine
    counts = {"sessions": 0, "commits": 0}

    def checkout(*_: object) -> None:
        counts["sessions"] += 1

    def commit(*_: object) -> None:
        counts["commits"] += 1

    event.listen(sync.pool, "checkout", checkout)
    event.listen(sync, "commit", commit)
    try:
        yield counts
    finally:
        event.remove(sync.pool, "checkout", checkout)
        event.remove(sync, "commit", commit)
