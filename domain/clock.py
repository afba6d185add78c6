"""Time as a dependency, so tests and `kanalkollen remind --at` can travel."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """Anything that tells the current, time-zone-aware time."""

    def now(self) -> datetime:
        """Returns the current time in UTC."""
        ...


class SystemClock:
    """The machine's clock."""

    def now(self) -> datetime:
        """Returns the current time in UTC."""
        return datetime.now(UTC)


class FixedClock:
    """A clock that stands still until moved; for tests and `remind --at`."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs a time-zone-aware datetime")
        self._at = at

    def now(self) -> datetime:
        """Returns the time the clock was set to."""
        return self._at

    def set(self, at: datetime) -> None:
        """Moves the clock to another time."""
        if at.tzinfo is None:
            raise ValueError("FixedClock needs a time-zone-aware datetime")
        self._at = at
