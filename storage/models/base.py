"""The declarative base and the column types every table shares (aware UTC timestamps)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    TypeDecorator,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase

# Organisation and administration slugs are URL-safe and at most 63 characters.
SLUG_LENGTH = 63


class UtcDateTime(TypeDecorator[datetime]):
    """A time-zone-aware timestamp, stored in UTC and read back aware on every backend.

    SQLite has no time zones: SQLAlchemy drops the offset when writing and hands back naive
    values, which then cannot be compared with the clock's aware `now`, and an offset other
    than UTC would be stored as wall time and sort wrongly. Converting to UTC on the way in and
    attaching UTC on the way out makes SQLite behave like PostgreSQL's `timestamptz`.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: only time-zone-aware times are stored")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base of every Kanalkollen table."""

    type_annotation_map: ClassVar[dict[Any, Any]] = {
        date: Date,
        datetime: UtcDateTime(),
        dict[str, Any]: JSON,
    }
