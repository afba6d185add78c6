"""Fault injection and rate limiting rules of the Bot Connector emulator."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Literal

RateScope = Literal["global", "conversation"]


@dataclass
class Fault:
    """A scripted error answer for the next matching requests."""

    status: int
    remaining: int
    retry_after: float | None = None
    operation: str | None = None
    conversation_id: str | None = None
    code: str | None = None
    message: str | None = None

    def matches(self, operation: str, conversation_id: str | None) -> bool:
        """Return whether this fault applies to a request and still has uses left."""
        if self.remaining <= 0:
            return False
        if self.operation is not None and self.operation != operation:
            return False
        return self.conversation_id is None or self.conversation_id == conversation_id


@dataclass
class RateLimiter:
    """A sliding-window limiter admitting at most `per_second` requests per second."""

    per_second: float
    scope: RateScope = "global"
    retry_after: float = 1.0
    operations: Collection[str] | None = None
    _hits: dict[str, deque[float]] = field(default_factory=dict)

    @property
    def window(self) -> float:
        """Return the window length in seconds (longer than 1 s for rates below 1/s)."""
        return max(1.0, 1.0 / self.per_second)

    @property
    def limit(self) -> int:
        """Return how many requests the window admits."""
        return max(1, math.floor(self.per_second * self.window + 1e-9))

    def admit(self, operation: str, conversation_id: str | None, now: float) -> bool:
        """Return whether a request is admitted now, counting it if so."""
        if self.operations is not None and operation not in self.operations:
            return True
        key = (conversation_id or "") if self.scope == "conversation" else "*"
        hits = self._hits.setdefault(key, deque())
        while hits and now - hits[0] >= self.window:
            hits.popleft()
        if len(hits) >= self.limit:
            return False
        hits.append(now)
        return True


def format_retry_after(seconds: float) -> str:
    """Return a Retry-After header value: whole seconds as an integer, else the float."""
    if float(seconds).is_integer():
        return str(int(seconds))
    return f"{seconds:g}"
