"""Pacing below Teams' rate limits: token buckets per tenant and per conversation."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class _Bucket:
    rate: float
    capacity: float
    tokens: float
    updated: float
    blocked_until: float = 0.0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class Pacer:
    """Waits so that each key stays under its rate; a 429 can block a key for a while."""

    def __init__(
        self,
        rate_per_second: float,
        *,
        burst: float | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._rate = rate_per_second
        # A burst of one request keeps the pace even: a full bucket of `rate` tokens would let
        # twice the rate through in the first second and earn a 429.
        self._burst = burst if burst is not None else 1.0
        self._monotonic = monotonic
        self._buckets: dict[str, _Bucket] = {}

    def _bucket(self, key: str) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            now = self._monotonic()
            bucket = _Bucket(self._rate, self._burst, self._burst, now)
            self._buckets[key] = bucket
        return bucket

    async def acquire(self, key: str) -> None:
        """Waits until one request for this key may go."""
        bucket = self._bucket(key)
        async with bucket.lock:
            while True:
                now = self._monotonic()
                if now < bucket.blocked_until:
                    await asyncio.sleep(bucket.blocked_until - now)
                    continue
                bucket.tokens = min(
                    bucket.capacity, bucket.tokens + (now - bucket.updated) * bucket.rate
                )
                bucket.updated = now
                if bucket.tokens >= 1.0:
                    bucket.tokens -= 1.0
                    return
                await asyncio.sleep((1.0 - bucket.tokens) / bucket.rate)

    def block(self, key: str, seconds: float) -> None:
        """Holds back every request for a key (Teams answered 429 with Retry-After)."""
        bucket = self._bucket(key)
        bucket.blocked_until = max(bucket.blocked_until, self._monotonic() + seconds)
        bucket.tokens = 0.0
        # Refill starts when the pause ends, so that the bucket is not full at that moment.
        bucket.updated = bucket.blocked_until

    def blocked_for(self, key: str) -> float:
        """Seconds a key is still held back by a 429 (0.0 when it is free)."""
        bucket = self._buckets.get(key)
        if bucket is None:
            return 0.0
        return max(bucket.blocked_until - self._monotonic(), 0.0)

    def blocked_keys(self, longer_than: float = 0.0) -> list[str]:
        """The keys held back for more than `longer_than` seconds from now."""
        now = self._monotonic()
        return sorted(
            key
            for key, bucket in self._buckets.items()
            if bucket.blocked_until - now > longer_than
        )
