"""R12: documented at least every half year: due dates, reminders, escalation, office hours."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from domain.documentation import (
    ReminderStep,
    current_step,
    days_overdue,
    escalation_due,
    first_due,
    is_office_time,
    next_due,
    next_office_time,
    reminder_steps,
    today_in,
)
from domain.policy import DocumentationPolicy, Policy, PolicyError
from domain.policy_file import parse_policy

STOCKHOLM = ZoneInfo("Europe/Stockholm")
POLICY = DocumentationPolicy()


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A wall-clock moment in Stockholm."""
    return datetime(year, month, day, hour, minute, tzinfo=STOCKHOLM)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A moment in UTC."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# --- due dates ---------------------------------------------------------------------------------

DUE_DATES = [
    pytest.param(date(2026, 3, 2), 6, date(2026, 9, 2), id="plain"),
    pytest.param(date(2025, 8, 31), 6, date(2026, 2, 28), id="aug31+6"),
    pytest.param(date(2023, 8, 31), 6, date(2024, 2, 29), id="aug31+6-leap"),
    pytest.param(date(2024, 2, 29), 6, date(2024, 8, 29), id="leap-day+6"),
    pytest.param(date(2026, 3, 31), 6, date(2026, 9, 30), id="mar31+6"),
    pytest.param(date(2025, 12, 31), 6, date(2026, 6, 30), id="dec31+6-new-year"),
    pytest.param(date(2025, 7, 15), 6, date(2026, 1, 15), id="over-new-year"),
    pytest.param(date(2026, 1, 31), 1, date(2026, 2, 28), id="monthly-jan31"),
    pytest.param(date(2026, 5, 31), 3, date(2026, 8, 31), id="quarterly-keeps-31"),
]


@pytest.mark.parametrize(("start", "months", "expected"), DUE_DATES)
def test_r12_first_due_is_activation_plus_interval(
    start: date, months: int, expected: date
) -> None:
    assert first_due(start, months) == expected


@pytest.mark.parametrize(("documented_on", "months", "expected"), DUE_DATES)
def test_r12_next_due_is_last_documentation_plus_interval(
    documented_on: date, months: int, expected: date
) -> None:
    assert next_due(documented_on, months) == expected


@pytest.mark.parametrize("months", [0, -6])
def test_r12_an_interval_below_a_month_is_refused(months: int) -> None:
    with pytest.raises(ValueError, match="at least one month"):
        first_due(date(2026, 1, 1), months)
    with pytest.raises(ValueError, match="at least one month"):
        next_due(date(2026, 1, 1), months)


# --- reminder steps ----------------------------------------------------------------------------

DUE = date(2026, 9, 2)

STEPS = [
    pytest.param(DUE, DUE - timedelta(days=15), POLICY, [], id="until-before-the-first"),
    pytest.param(
        DUE,
        DUE - timedelta(days=14),
        POLICY,
        [ReminderStep("before-14", date(2026, 8, 19), "before")],
        id="until-the-first",
    ),
    pytest.param(
        DUE,
        DUE,
        POLICY,
        [
            ReminderStep("before-14", date(2026, 8, 19), "before"),
            ReminderStep("due", DUE, "due"),
        ],
        id="until-the-day",
    ),
    pytest.param(
        DUE,
        date(2026, 9, 29),
        POLICY,
        [
            ReminderStep("before-14", date(2026, 8, 19), "before"),
            ReminderStep("due", DUE, "due"),
            ReminderStep("overdue-7", date(2026, 9, 9), "overdue"),
            ReminderStep("overdue-14", date(2026, 9, 16), "overdue"),
            ReminderStep("overdue-21", date(2026, 9, 23), "overdue"),
        ],
        id="weekly-after",
    ),
    pytest.param(
        DUE,
        date(2026, 9, 30),
        POLICY,
        [
            ReminderStep("before-14", date(2026, 8, 19), "before"),
            ReminderStep("due", DUE, "due"),
            ReminderStep("overdue-7", date(2026, 9, 9), "overdue"),
            ReminderStep("overdue-14", date(2026, 9, 16), "overdue"),
            ReminderStep("overdue-21", date(2026, 9, 23), "overdue"),
            ReminderStep("overdue-28", date(2026, 9, 30), "overdue"),
        ],
        id="until-a-step-day",
    ),
    pytest.param(
        DUE,
        date(2026, 9, 12),
        replace(POLICY, reminder_days_before=3, repeat_every_days=5),
        [
            ReminderStep("before-3", date(2026, 8, 30), "before"),
            ReminderStep("due", DUE, "due"),
            ReminderStep("overdue-5", date(2026, 9, 7), "overdue"),
            ReminderStep("overdue-10", date(2026, 9, 12), "overdue"),
        ],
        id="other-policy",
    ),
    pytest.param(
        date(2026, 2, 28),
        date(2026, 3, 14),
        POLICY,
        [
            ReminderStep("before-14", date(2026, 2, 14), "before"),
            ReminderStep("due", date(2026, 2, 28), "due"),
            ReminderStep("overdue-7", date(2026, 3, 7), "overdue"),
            ReminderStep("overdue-14", date(2026, 3, 14), "overdue"),
        ],
        id="across-february",
    ),
]


@pytest.mark.parametrize(("due", "until", "policy", "expected"), STEPS)
def test_r12_reminder_steps_before_on_and_after_the_due_date(
    due: date, until: date, policy: DocumentationPolicy, expected: list[ReminderStep]
) -> None:
    assert reminder_steps(due, policy, until) == expected


CURRENT = [
    pytest.param(date(2026, 1, 1), None, id="long-before"),
    pytest.param(date(2026, 8, 18), None, id="day-before-the-first"),
    pytest.param(date(2026, 8, 19), "before-14", id="first-reminder-day"),
    pytest.param(date(2026, 9, 1), "before-14", id="day-before-due"),
    pytest.param(date(2026, 9, 2), "due", id="due-day"),
    pytest.param(date(2026, 9, 8), "due", id="six-days-late"),
    pytest.param(date(2026, 9, 9), "overdue-7", id="seven-days-late"),
    pytest.param(date(2026, 9, 15), "overdue-7", id="thirteen-days-late"),
    pytest.param(date(2026, 9, 16), "overdue-14", id="fourteen-days-late"),
    pytest.param(date(2026, 12, 2), "overdue-91", id="three-months-late"),
]


@pytest.mark.parametrize(("today", "key"), CURRENT)
def test_r12_current_step_on_each_boundary_day(today: date, key: str | None) -> None:
    step = current_step(DUE, today, POLICY)

    assert (step.key if step else None) == key
    if step is not None:
        assert step.at <= today
        assert step == reminder_steps(DUE, POLICY, today)[-1]


def test_r12_current_step_is_always_the_last_listed_step() -> None:
    for offset in range(-20, 60):
        today = DUE + timedelta(days=offset)
        steps = reminder_steps(DUE, POLICY, today)

        assert current_step(DUE, today, POLICY) == (steps[-1] if steps else None)


# --- escalation ---------------------------------------------------------------------------------

ESCALATION = [
    pytest.param(date(2026, 8, 19), 0, False, id="before-due"),
    pytest.param(date(2026, 9, 2), 0, False, id="due-day"),
    pytest.param(date(2026, 9, 3), 1, False, id="one-day-late"),
    pytest.param(date(2026, 9, 15), 13, False, id="last-day-of-grace"),
    pytest.param(date(2026, 9, 16), 14, True, id="grace-over"),
    pytest.param(date(2027, 1, 1), 121, True, id="long-over"),
]


@pytest.mark.parametrize(("today", "late", "escalate"), ESCALATION)
def test_r12_the_manager_is_told_after_the_grace_period(
    today: date, late: int, escalate: bool
) -> None:
    assert days_overdue(DUE, today) == late
    assert escalation_due(DUE, today, POLICY) is escalate


def test_r12_the_grace_period_comes_from_the_policy() -> None:
    policy = replace(POLICY, escalate_after_days=30)

    assert not escalation_due(DUE, DUE + timedelta(days=29), policy)
    assert escalation_due(DUE, DUE + timedelta(days=30), policy)


# --- office hours -------------------------------------------------------------------------------

# 2026: 27 March is a Friday before summer time starts (Sunday 29 March, 02:00 -> 03:00);
# 23 October is a Friday before it ends (Sunday 25 October, 03:00 -> 02:00).
OFFICE = [
    pytest.param(local(2026, 9, 2, 10, 15), local(2026, 9, 2, 10, 15), id="inside-unchanged"),
    pytest.param(local(2026, 9, 2, 8, 0), local(2026, 9, 2, 8, 0), id="at-start"),
    pytest.param(local(2026, 9, 2, 16, 59), local(2026, 9, 2, 16, 59), id="last-minute"),
    pytest.param(local(2026, 9, 2, 7, 59), local(2026, 9, 2, 8, 0), id="0759-same-day"),
    pytest.param(local(2026, 9, 2, 0, 0), local(2026, 9, 2, 8, 0), id="midnight"),
    pytest.param(local(2026, 9, 2, 17, 0), local(2026, 9, 3, 8, 0), id="at-end-next-day"),
    pytest.param(local(2026, 9, 2, 22, 30), local(2026, 9, 3, 8, 0), id="evening"),
    pytest.param(local(2026, 9, 4, 17, 30), local(2026, 9, 7, 8, 0), id="friday-1730-monday"),
    pytest.param(local(2026, 9, 5, 12, 0), local(2026, 9, 7, 8, 0), id="saturday-monday"),
    pytest.param(local(2026, 9, 6, 23, 59), local(2026, 9, 7, 8, 0), id="sunday-night"),
    pytest.param(local(2026, 3, 27, 17, 30), local(2026, 3, 30, 8, 0), id="dst-start-weekend"),
    pytest.param(local(2026, 3, 29, 2, 30), local(2026, 3, 30, 8, 0), id="dst-start-in-gap"),
    pytest.param(local(2026, 10, 23, 17, 30), local(2026, 10, 26, 8, 0), id="dst-end-weekend"),
    pytest.param(
        datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=STOCKHOLM),
        local(2026, 10, 26, 8, 0),
        id="dst-end-repeated-hour",
    ),
    pytest.param(local(2025, 12, 31, 18, 0), local(2026, 1, 1, 8, 0), id="across-new-year"),
]


@pytest.mark.parametrize(("moment", "expected"), OFFICE)
def test_r12_reminders_wait_for_office_hours(moment: datetime, expected: datetime) -> None:
    sent = next_office_time(moment, POLICY)

    assert sent == expected
    assert sent.tzinfo is UTC
    assert is_office_time(sent, POLICY)
    assert is_office_time(moment, POLICY) is (sent == moment)


def test_r12_office_start_is_local_wall_clock_across_dst() -> None:
    spring = next_office_time(local(2026, 3, 27, 17, 30), POLICY)
    autumn = next_office_time(local(2026, 10, 23, 17, 30), POLICY)

    assert spring == utc(2026, 3, 30, 6, 0)  # 08:00 CEST
    assert autumn == utc(2026, 10, 26, 7, 0)  # 08:00 CET


IS_OFFICE = [
    pytest.param(utc(2026, 1, 5, 7, 0), True, id="monday-0800-cet-from-utc"),
    pytest.param(utc(2026, 1, 5, 6, 59), False, id="monday-0759-cet-from-utc"),
    pytest.param(utc(2026, 7, 6, 6, 0), True, id="monday-0800-cest-from-utc"),
    pytest.param(utc(2026, 7, 6, 15, 0), False, id="monday-1700-cest-from-utc"),
    pytest.param(utc(2026, 1, 4, 12, 0), False, id="sunday-noon"),
    pytest.param(
        datetime(2026, 1, 5, 2, 0, tzinfo=timezone(timedelta(hours=-5))),
        True,
        id="other-offset",
    ),
]


@pytest.mark.parametrize(("moment", "expected"), IS_OFFICE)
def test_r12_office_time_is_read_in_the_policy_zone(moment: datetime, expected: bool) -> None:
    assert is_office_time(moment, POLICY) is expected


def test_r12_office_hours_and_days_come_from_the_policy() -> None:
    policy = replace(
        POLICY,
        office_days=(5,),
        office_start_hour=10,
        office_end_hour=12,
        time_zone="America/New_York",
    )
    zone = ZoneInfo("America/New_York")

    friday = datetime(2026, 9, 4, 11, 0, tzinfo=zone)
    assert next_office_time(friday, policy) == datetime(2026, 9, 5, 10, 0, tzinfo=zone)
    saturday_noon = datetime(2026, 9, 5, 12, 0, tzinfo=zone)
    assert next_office_time(saturday_noon, policy) == datetime(2026, 9, 12, 10, 0, tzinfo=zone)


def test_r12_office_time_refuses_a_naive_datetime() -> None:
    naive = datetime(2026, 9, 2, 10, 0)  # noqa: DTZ001 - the point of the test

    with pytest.raises(ValueError, match="time-zone-aware"):
        is_office_time(naive, POLICY)
    with pytest.raises(ValueError, match="time-zone-aware"):
        next_office_time(naive, POLICY)


def test_r12_today_is_the_date_in_the_policy_zone() -> None:
    assert today_in(utc(2026, 8, 18, 22, 30), POLICY) == date(2026, 8, 19)
    assert today_in(utc(2026, 8, 18, 21, 59), POLICY) == date(2026, 8, 18)


# --- policy -------------------------------------------------------------------------------------


def test_r12_documentation_policy_defaults() -> None:
    assert Policy().documentation == DocumentationPolicy(
        reminder_days_before=14,
        repeat_every_days=7,
        escalate_after_days=14,
        office_days=(0, 1, 2, 3, 4),
        office_start_hour=8,
        office_end_hour=17,
        time_zone="Europe/Stockholm",
        max_reminders_per_sweep=500,
    )
    assert parse_policy("[documentation]\n") == Policy()


def test_r12_documentation_policy_values_override_the_defaults() -> None:
    policy = parse_policy(
        "[documentation]\n"
        "reminder_days_before = 10\n"
        "office_days = [0, 2, 4]\n"
        "office_start_hour = 9\n"
        "office_end_hour = 16\n"
        'time_zone = "Europe/Helsinki"\n'
    )

    assert policy.documentation == replace(
        POLICY,
        reminder_days_before=10,
        office_days=(0, 2, 4),
        office_start_hour=9,
        office_end_hour=16,
        time_zone="Europe/Helsinki",
    )


WRONG = [
    ("reminder_days_before = 0", "documentation.reminder_days_before"),
    ("repeat_every_days = 0", "documentation.repeat_every_days"),
    ("repeat_every_days = -7", "documentation.repeat_every_days"),
    ("escalate_after_days = 0", "documentation.escalate_after_days"),
    ("max_reminders_per_sweep = 0", "documentation.max_reminders_per_sweep"),
    ("office_days = []", "documentation.office_days"),
    ("office_days = [0, 7]", "documentation.office_days"),
    ("office_days = [-1]", "documentation.office_days"),
    ("office_days = [1, 1]", "documentation.office_days"),
    ('office_days = ["monday"]', "documentation.office_days"),
    ("office_start_hour = -1", "documentation.office_start_hour"),
    ("office_start_hour = 24", "documentation.office_start_hour"),
    ("office_end_hour = 25", "documentation.office_end_hour"),
    ("office_start_hour = 17", "documentation.office_start_hour"),
    ("office_start_hour = 9\noffice_end_hour = 8", "documentation.office_start_hour"),
    ('time_zone = "Europe/Nowhere"', "documentation.time_zone"),
    ('time_zone = "europe/stockholm"', "documentation.time_zone"),
    ('time_zone = ""', "documentation.time_zone"),
    ('time_zone = "../etc/passwd"', "documentation.time_zone"),
    ("time_zone = 1", "documentation.time_zone"),
    ("reminder_days_before = 1.5", "documentation.reminder_days_before"),
    ("reminder_days_before = true", "documentation.reminder_days_before"),
    ("reminder_days = 14", "documentation.reminder_days"),
]


@pytest.mark.parametrize(("line", "named"), WRONG, ids=[line for line, _ in WRONG])
def test_r12_a_wrong_documentation_value_is_named(line: str, named: str) -> None:
    with pytest.raises(PolicyError, match=named.replace("[", r"\[")):
        parse_policy(f"[documentation]\n{line}\n")
