"""Claiming work rows with a lease: the outbox and the capture queue share one statement.

A row is free when it waits (and is ready), or when the instance that held it let its lease
run out (it crashed). `FOR UPDATE SKIP LOCKED` makes two instances claim different rows on
PostgreSQL; SQLite takes the write lock for the whole statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Update, or_, select, true, update


def claim_statement(
    model: Any,
    *,
    waiting: str,
    running: str,
    owner: str,
    now: datetime,
    lease_seconds: float,
    limit: int,
    order_by: Sequence[Any],
    ready: ColumnElement[bool] | None = None,
    where: Sequence[ColumnElement[bool]] = (),
) -> Update:
    """UPDATE … RETURNING that leases up to `limit` free rows of `model` to `owner`.

    `model` has `id`, `status`, `claimed_by`, `lease_until` and `attempts`; `ready` narrows
    the waiting rows (e.g. due now); `where` narrows all of them.
    """
    free = or_(
        (model.status == waiting) & (ready if ready is not None else true()),
        (model.status == running) & (model.lease_until < now),
    )
    due = (
        select(model.id)
        .where(free, *where)
        .order_by(*order_by)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return (
        update(model)
        .where(model.id.in_(due.scalar_subquery()))
        .values(
            status=running,
            claimed_by=owner,
            lease_until=now + timedelta(seconds=lease_seconds),
            attempts=model.attempts + 1,
        )
        .returning(model)
        .execution_options(synchronize_session=False)
    )
