"""R12: when a channel is due for documentation, when its editors are reminded, when the
manager is told, and when a reminder may be sent (office hours in the policy's time zone).

Days are calendar days in the policy's time zone; moments are time-zone-aware datetimes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from domain.dates import add_months, local_date
from domain.policy import DocumentationPolicy

StepKind = Literal["before", "due", "overdue"]


@dataclass(frozen=True)
class ReminderStep:
    """One reminder of a documentation round: its stable key and the day it becomes due."""

    # Stable within a round ("before-14", "due", "overdue-7", ...): with the channel, the
    # editor and the due date it makes a reminder idempotent.
    key: str
    at: date
    kind: StepKind


def first_due(start: date, interval_months: int) -> date:
    """The first documentation due date of a channel activated on `start` (R12)."""
    return _add_interval(start, interval_months)


def next_due(documented_on: date, interval_months: int) -> date:
    """The next documentation due date after a documentation on `documented_on` (R12)."""
    return _add_interval(documented_on, interval_months)


def _add_interval(day: date, interval_months: int) -> date:
    """Adds the documentation interval; the 31st becomes the last day of a shorter month."""
    if interval_months < 1:
        raise ValueError("The documentation interval must be at least one month.")
    return add_months(day, interval_months)


def reminder_steps(due: date, policy: DocumentationPolicy, until: date) -> list[ReminderStep]:
    """The reminder steps for a due date whose day is on or before `until`, in order."""
    steps = [_before(due, policy), _on_the_day(due)]
    offset = policy.repeat_every_days
    while due + timedelta(days=offset) <= until:
        steps.append(_overdue(due, offset))
        offset += policy.repeat_every_days
    return [step for step in steps if step.at <= until]


def current_step(due: date, today: date, policy: DocumentationPolicy) -> ReminderStep | None:
    """The latest reminder step whose day has come; None before the first one."""
    before = _before(due, policy)
    if today < before.at:
        return None
    if today < due:
        return before
    periods = (today - due).days // policy.repeat_every_days
    if periods == 0:
        return _on_the_day(due)
    return _overdue(due, periods * policy.repeat_every_days)


def days_overdue(due: date, today: date) -> int:
    """How many days the documentation is late; 0 on and before the due date."""
    return max(0, (today - due).days)


def escalation_due(due: date, today: date, policy: DocumentationPolicy) -> bool:
    """Tells whether the grace period is over, so the manager is told (R1, R12)."""
    return days_overdue(due, today) >= policy.escalate_after_days


def _before(due: date, policy: DocumentationPolicy) -> ReminderStep:
    days = policy.reminder_days_before
    return ReminderStep(f"before-{days}", due - timedelta(days=days), "before")


def _on_the_day(due: date) -> ReminderStep:
    return ReminderStep("due", due, "due")


def _overdue(due: date, days: int) -> ReminderStep:
    return ReminderStep(f"overdue-{days}", due + timedelta(days=days), "overdue")


def policy_zone(policy: DocumentationPolicy) -> ZoneInfo:
    """The time zone whose calendar and office hours the reminders follow."""
    return ZoneInfo(policy.time_zone)


def today_in(now: datetime, policy: DocumentationPolicy) -> date:
    """The calendar day in the policy's time zone at an aware moment."""
    return local_date(now, policy_zone(policy))


def is_office_time(moment: datetime, policy: DocumentationPolicy) -> bool:
    """Tells whether a reminder may be sent at this aware moment (office day and hours)."""
    local = _aware(moment).astimezone(policy_zone(policy))
    return (
        local.weekday() in policy.office_days
        and policy.office_start_hour <= local.hour < policy.office_end_hour
    )


def next_office_time(moment: datetime, policy: DocumentationPolicy) -> datetime:
    """The same moment inside office hours, else the next office day's start; in UTC."""
    moment = _aware(moment).astimezone(UTC)
    if is_office_time(moment, policy):
        return moment
    zone = policy_zone(policy)
    day = moment.astimezone(zone).date()
    # A week always holds an office day (the policy has at least one); +1 for today's start.
    for offset in range(8):
        candidate = day + timedelta(days=offset)
        if candidate.weekday() not in policy.office_days:
            continue
        # Built from the local wall clock, so the start stays 08:00 across DST changes; a start
        # in a spring-forward gap lands just after it.
        start = datetime.combine(candidate, time(policy.office_start_hour), tzinfo=zone)
        start_utc = start.astimezone(UTC)
        if start_utc > moment:
            return start_utc
    raise ValueError("The documentation policy has no office days.")


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("Office hours need a time-zone-aware datetime")
    return moment
