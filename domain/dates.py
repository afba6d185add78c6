"""Calendar arithmetic the rules need, done right across month ends."""

from __future__ import annotations

import calendar
from datetime import date, datetime
from zoneinfo import ZoneInfo

ORGANISATION_ZONE = ZoneInfo("Europe/Stockholm")


def add_months(start: date, months: int) -> date:
    """Adds calendar months; the 31st becomes the last day of a shorter month."""
    index = start.month - 1 + months
    year = start.year + index // 12
    month = index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


def local_date(moment: datetime, zone: ZoneInfo = ORGANISATION_ZONE) -> date:
    """The calendar date in the organisation's time zone at an aware moment."""
    if moment.tzinfo is None:
        raise ValueError("local_date needs a time-zone-aware datetime")
    return moment.astimezone(zone).date()
