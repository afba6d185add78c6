"""What happens after a failed delivery: retry, dead-letter or undeliverable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.outbox import (
    DeliveryFailure,
    OutboxStatus,
    after_failure,
    backoff_seconds,
    retry_after_seconds,
)
from domain.policy import DeliveryPolicy

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
POLICY = DeliveryPolicy(max_attempts=4, backoff_base_seconds=5, backoff_max_seconds=30)


@pytest.mark.parametrize(("attempts", "seconds"), [(1, 5), (2, 10), (3, 20), (4, 30), (9, 30)])
def test_backoff_doubles_up_to_the_cap(attempts: int, seconds: float):
    assert backoff_seconds(attempts, POLICY) == seconds


@pytest.mark.parametrize(
    ("failure", "attempts", "status", "delay"),
    [
        (DeliveryFailure(429, retry_after_seconds=7), 1, OutboxStatus.PENDING, 7),
        (DeliveryFailure(429), 2, OutboxStatus.PENDING, 10),
        (DeliveryFailure(503), 1, OutboxStatus.PENDING, 5),
        (DeliveryFailure(503, retry_after_seconds=2), 1, OutboxStatus.PENDING, 2),
        (DeliveryFailure(500), 3, OutboxStatus.PENDING, 20),
        (DeliveryFailure(None), 1, OutboxStatus.PENDING, 5),
        (DeliveryFailure(408), 1, OutboxStatus.PENDING, 5),
        (DeliveryFailure(503), 4, OutboxStatus.DEAD, None),
        (DeliveryFailure(429, retry_after_seconds=1), 4, OutboxStatus.PENDING, 1),
        (DeliveryFailure(429, retry_after_seconds=1), 11, OutboxStatus.PENDING, 1),
        (DeliveryFailure(429, retry_after_seconds=1), 12, OutboxStatus.DEAD, None),
        (DeliveryFailure(403), 1, OutboxStatus.UNDELIVERABLE, None),
        (DeliveryFailure(404), 1, OutboxStatus.UNDELIVERABLE, None),
        (DeliveryFailure(400), 1, OutboxStatus.DEAD, None),
        (DeliveryFailure(413), 1, OutboxStatus.DEAD, None),
    ],
)
def test_after_failure(
    failure: DeliveryFailure, attempts: int, status: OutboxStatus, delay: float | None
):
    step = after_failure(failure, attempts, NOW, POLICY)

    assert step.status is status
    expected = None if delay is None else NOW + timedelta(seconds=delay)
    assert step.due_at == expected


@pytest.mark.parametrize(
    ("raw", "seconds"),
    [
        ("120", 120.0),
        ("0.5", 0.5),
        ("-3", 0.0),
        (None, None),
        ("Wed, 21 Oct 2026 07:28:00 GMT", None),
    ],
)
def test_retry_after_is_read_in_seconds(raw: str | None, seconds: float | None) -> None:
    """Teams and Graph send seconds; what is no number counts as absent (then we back off)."""
    assert retry_after_seconds(raw) == seconds
