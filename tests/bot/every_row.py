"""One row of every kind a card names (a consent, a check, a removal task, a deletion decision,
a closing), for the tests that forge every verb with a channel's real ids."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    ChannelClosingRow,
    ConsentCheckRow,
    ConsentRow,
    DeletionDecisionRow,
    RemovalTaskRow,
)
from tests.conftest import START


async def add_every_row(
    session: AsyncSession, channel_id: int, by: int, *, closing: str = "open"
) -> dict[str, int]:
    """Adds the rows (by person `by`; the closing in status `closing`); returns their ids."""
    consent = ConsentRow(
        channel_id=channel_id,
        subject="Elev A",
        scope="one_post",
        form="oral",
        recorded_by_person_id=by,
        recorded_at=START,
    )
    check = ConsentCheckRow(
        channel_id=channel_id, person_id=by, answers={}, outcome="publish", checked_at=START
    )
    session.add_all([consent, check])
    await session.flush()
    task = RemovalTaskRow(
        consent_id=consent.id, check_id=check.id, channel_id=channel_id, created_at=START
    )
    decision = DeletionDecisionRow(
        channel_id=channel_id,
        person_id=by,
        kind="post",
        covered=True,
        outcome="delete",
        created_at=START,
    )
    closing_row = ChannelClosingRow(
        channel_id=channel_id, started_by_person_id=by, started_at=START, status=closing
    )
    session.add_all([task, decision, closing_row])
    await session.flush()
    return {
        "consent_id": consent.id,
        "check_id": check.id,
        "task_id": task.id,
        "decision_id": decision.id,
        "closing_id": closing_row.id,
    }
