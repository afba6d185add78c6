"""Alembic migrations: `upgrade head` on an empty database matches the models, on every backend."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, delete, inspect, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from domain.clock import FixedClock
from storage.audit import record_event
from storage.db import create_engine, session_factory
from storage.migrate import (
    current_revision,
    downgrade_base,
    head_revision,
    is_at_head,
    upgrade_head,
)
from storage.models import AuditEventRow, Base

TABLES = {
    "documentation_rounds",
    "documentation_files",
    "people",
    "conversation_references",
    "audit_events",
    "outbox",
    "bot_state",
    "channels",
    "channel_editors",
    "card_copies",
    "app_settings",
    "evidence_files",
    "consents",
    "consent_checks",
    "consent_check_consents",
    "removal_tasks",
    "deletion_decisions",
    "channel_closings",
    "captures",
}


# These tests migrate a database themselves: they start on an empty one (tests/conftest.py).
pytestmark = pytest.mark.empty_database


@pytest.fixture
async def empty_engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on an empty, never migrated database."""
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def test_upgrade_head_on_an_empty_database_matches_the_models(
    empty_engine: AsyncEngine,
) -> None:
    await upgrade_head(empty_engine)

    async with empty_engine.connect() as connection:
        differences = await connection.run_sync(_differences)
        tables = await connection.run_sync(_tables)

    assert differences == []
    assert tables == TABLES | {"alembic_version"}


async def test_is_at_head_only_after_upgrading(empty_engine: AsyncEngine) -> None:
    assert await current_revision(empty_engine) is None
    assert not await is_at_head(empty_engine)

    await upgrade_head(empty_engine)

    assert await current_revision(empty_engine) == head_revision()
    assert await is_at_head(empty_engine)


async def test_upgrading_twice_is_a_no_op(empty_engine: AsyncEngine, clock: FixedClock) -> None:
    await upgrade_head(empty_engine)
    async with session_factory(empty_engine).begin() as session:
        record_event(session, at=clock.now(), action="test", subject_type="t", subject_id=1)

    await upgrade_head(empty_engine)

    assert await is_at_head(empty_engine)
    async with empty_engine.connect() as connection:
        assert await connection.run_sync(_differences) == []
        assert len((await connection.execute(select(AuditEventRow.id))).all()) == 1


async def test_downgrade_base_leaves_an_empty_database(empty_engine: AsyncEngine) -> None:
    await upgrade_head(empty_engine)

    await downgrade_base(empty_engine)

    assert await current_revision(empty_engine) is None
    async with empty_engine.connect() as connection:
        assert await connection.run_sync(_tables) <= {"alembic_version"}

    # ... and the way back up works again, triggers included.
    await upgrade_head(empty_engine)
    assert await is_at_head(empty_engine)


async def _one_audit_event(sessions: async_sessionmaker[AsyncSession], clock: FixedClock) -> int:
    async with sessions.begin() as session:
        event = record_event(
            session,
            at=clock.now(),
            action="channel.approved",
            subject_type="channel",
            subject_id=1,
        )
    return event.id


async def test_audit_events_refuse_updates(
    sessions: async_sessionmaker[AsyncSession], clock: FixedClock
) -> None:
    event_id = await _one_audit_event(sessions, clock)

    with pytest.raises(DBAPIError, match="append-only"):
        async with sessions.begin() as session:
            await session.execute(
                update(AuditEventRow)
                .where(AuditEventRow.id == event_id)
                .values(action="channel.rejected")
            )

    async with sessions() as session:
        assert await session.scalar(select(AuditEventRow.action)) == "channel.approved"


async def test_audit_events_refuse_deletes(
    sessions: async_sessionmaker[AsyncSession], clock: FixedClock
) -> None:
    event_id = await _one_audit_event(sessions, clock)

    with pytest.raises(DBAPIError, match="append-only"):
        async with sessions.begin() as session:
            await session.execute(delete(AuditEventRow).where(AuditEventRow.id == event_id))

    async with sessions() as session:
        assert await session.scalar(select(AuditEventRow.id)) == event_id
