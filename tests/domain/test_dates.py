"""Calendar arithmetic: months across month ends, dates in the organisation's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from domain.dates import ORGANISATION_ZONE, add_months, local_date

ADD_MONTHS = [
    pytest.param(date(2026, 3, 2), 0, date(2026, 3, 2), id="zero"),
    pytest.param(date(2024, 1, 31), 1, date(2024, 2, 29), id="jan31+1-leap"),
    pytest.param(date(2025, 1, 31), 1, date(2025, 2, 28), id="jan31+1"),
    pytest.param(date(2025, 8, 31), 6, date(2026, 2, 28), id="aug31+6"),
    pytest.param(date(2023, 8, 31), 6, date(2024, 2, 29), id="aug31+6-leap"),
    pytest.param(date(2026, 3, 31), 1, date(2026, 4, 30), id="mar31+1"),
    pytest.param(date(2026, 3, 2), 6, date(2026, 9, 2), id="mar2+6"),
    pytest.param(date(2026, 1, 30), 1, date(2026, 2, 28), id="jan30+1"),
    pytest.param(date(2025, 12, 15), 1, date(2026, 1, 15), id="dec+1"),
    pytest.param(date(2025, 12, 31), 1, date(2026, 1, 31), id="dec31+1"),
    pytest.param(date(2025, 7, 1), 6, date(2026, 1, 1), id="jul+6"),
    pytest.param(date(2025, 11, 30), 14, date(2027, 1, 30), id="over-a-year"),
    pytest.param(date(2024, 2, 29), 12, date(2025, 2, 28), id="leap-day+12"),
    pytest.param(date(2026, 3, 31), -1, date(2026, 2, 28), id="mar31-1"),
    pytest.param(date(2026, 1, 15), -1, date(2025, 12, 15), id="jan-1"),
    pytest.param(date(2026, 2, 28), -6, date(2025, 8, 28), id="feb28-6"),
    pytest.param(date(2026, 8, 31), -6, date(2026, 2, 28), id="aug31-6"),
    pytest.param(date(2026, 1, 1), -12, date(2025, 1, 1), id="minus-a-year"),
    pytest.param(date(2026, 1, 31), -13, date(2024, 12, 31), id="minus-13"),
]


@pytest.mark.parametrize(("start", "months", "expected"), ADD_MONTHS)
def test_r12_add_months_across_month_ends(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


LOCAL_DATES = [
    pytest.param(datetime(2025, 12, 31, 23, 30, tzinfo=UTC), date(2026, 1, 1), id="new-year"),
    pytest.param(datetime(2025, 12, 31, 22, 59, tzinfo=UTC), date(2025, 12, 31), id="before"),
    pytest.param(datetime(2025, 12, 31, 23, 0, tzinfo=UTC), date(2026, 1, 1), id="midnight"),
    pytest.param(datetime(2026, 6, 30, 22, 30, tzinfo=UTC), date(2026, 7, 1), id="summer"),
    pytest.param(datetime(2026, 6, 30, 21, 30, tzinfo=UTC), date(2026, 6, 30), id="summer-pre"),
    pytest.param(datetime(2026, 3, 28, 23, 30, tzinfo=UTC), date(2026, 3, 29), id="dst-start"),
    pytest.param(datetime(2026, 10, 24, 22, 30, tzinfo=UTC), date(2026, 10, 25), id="dst-end"),
    pytest.param(
        datetime(2026, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=5))),
        date(2025, 12, 31),
        id="other-offset",
    ),
    pytest.param(
        datetime(2026, 1, 1, 0, 30, tzinfo=ORGANISATION_ZONE), date(2026, 1, 1), id="local"
    ),
]


@pytest.mark.parametrize(("moment", "expected"), LOCAL_DATES)
def test_local_date_is_the_date_in_stockholm(moment: datetime, expected: date) -> None:
    assert local_date(moment) == expected


def test_local_date_in_another_zone() -> None:
    moment = datetime(2025, 12, 31, 23, 30, tzinfo=UTC)

    assert local_date(moment, ZoneInfo("America/New_York")) == date(2025, 12, 31)


def test_the_organisation_zone_is_stockholm() -> None:
    assert ZoneInfo("Europe/Stockholm") == ORGANISATION_ZONE


def test_local_date_refuses_a_naive_datetime() -> None:
    naive = datetime(2025, 12, 31, 23, 30)  # noqa: DTZ001 - the point of the test

    with pytest.raises(ValueError, match="time-zone-aware"):
        local_date(naive)
