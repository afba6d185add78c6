"""What happens to an outbox message after a delivery attempt: pure decisions, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from domain.policy import DeliveryPolicy

THROTTLED_ATTEMPTS_FACTOR = 3


def retry_after_seconds(raw: str | None) -> float | None:
    """Reads a Retry-After header in seconds (Teams and Graph send seconds; an HTTP date, or
    anything else that is no number, counts as absent)."""
    if raw is None:
        return None
    try:
        return max(float(raw), 0.0)
    except ValueError:
        return None


class OutboxStatus(StrEnum):
    """The states of an outbox row."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    UNDELIVERABLE = "undeliverable"
    DEAD = "dead"
    CANCELLED = "cancelled"


class OutboxKind(StrEnum):
    """What an outbox row delivers."""

    TEAMS_MESSAGE = "teams_message"
    TEAMS_UPDATE = "teams_update"
    EMAIL = "email"


@dataclass(frozen=True)
class DeliveryFailure:
    """Why one attempt failed: an HTTP status (None for a network error) and Retry-After."""

    status: int | None
    retry_after_seconds: float | None = None
    message: str = ""


@dataclass(frozen=True)
class NextStep:
    """The row's next status and, when it is retried, when."""

    status: OutboxStatus
    due_at: datetime | None = None


def backoff_seconds(attempts: int, policy: DeliveryPolicy) -> float:
    """Exponential backoff after the given number of failed attempts, capped by the policy."""
    exponent = max(attempts - 1, 0)
    return float(min(policy.backoff_base_seconds * (2**exponent), policy.backoff_max_seconds))


def after_failure(
    failure: DeliveryFailure, attempts: int, now: datetime, policy: DeliveryPolicy
) -> NextStep:
    """Decides whether a failed delivery is retried, given up, or undeliverable."""
    status = failure.status
    if status in (403, 404):
        # 403: the user blocked or uninstalled the bot; 404: the conversation is gone.
        return NextStep(OutboxStatus.UNDELIVERABLE)
    transient = status is None or status == 429 or status == 408 or status >= 500
    if not transient:
        # Any other 4xx is a request Teams will never accept; retrying cannot help.
        return NextStep(OutboxStatus.DEAD)
    # Throttling (429) says "later", not "broken": it gets more attempts before dead letters.
    limit = (
        policy.max_attempts * THROTTLED_ATTEMPTS_FACTOR if status == 429 else (policy.max_attempts)
    )
    if attempts >= limit:
        return NextStep(OutboxStatus.DEAD)
    delay = backoff_seconds(attempts, policy)
    if failure.retry_after_seconds is not None:
        # Teams says when to come back; never earlier, and not much later either.
        delay = max(failure.retry_after_seconds, 0.0)
    return NextStep(OutboxStatus.PENDING, now + timedelta(seconds=delay))
