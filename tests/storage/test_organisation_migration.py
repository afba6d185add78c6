"""Migration 0008 (organisations): a database of 0007 with channels, consents and
documentation in it comes through without loss, every channel in the one organisation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, MetaData, Table, inspect, select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.organisations import DEFAULT_SLUG
from storage.consents import visible_channels
from storage.db import create_engine, session_factory
from storage.documentation import channels_due_by
from storage.migrate import current_revision, downgrade_to, head_revision, upgrade_head, upgrade_to
from storage.models import ChannelRow
from storage.organisations import move_channels, organisations_in_use
from tests.conftest import START

BEFORE = "0007"
NEW_COLUMNS = {"organisation", "administration"}
# Columns later migrations add (0009: channels.unit_source), absent from a 0007 database.
LATER_COLUMNS = {"unit_source"}
TENANT = "7e57c0de-0000-4000-8000-000000000001"


# These tests migrate a database themselves: they start on an empty one (tests/conftest.py).
pytestmark = pytest.mark.empty_database


@pytest.fixture
async def old_engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on a database migrated to 0007 only."""
    engine = create_engine(database_url)
    await upgrade_to(engine, BEFORE)
    yield engine
    await engine.dispose()


def _person(number: int) -> dict[str, Any]:
    return {
        "id": number,
        "tenant_id": TENANT,
        "aad_object_id": f"a0a0a0a0-0000-4000-8000-{number:012d}",
        "teams_user_id": f"29:1testperson{number}",
        "name": f"Testperson {number}",
        "email": f"testperson{number}@kanalkollen.example",
        "locale": "sv-SE",
        "created_at": START,
        "updated_at": START,
    }


def _channel(number: int, status: str, **values: Any) -> dict[str, Any]:
    row = {
        "id": number,
        "tenant_id": TENANT,
        "status": status,
        "version": 4,
        "platform": "instagram",
        "name": f"Kanal {number}",
        "unit": "Fritidsgården Ugglan",
        "purpose": "Visa verksamheten",
        "plan": {"goals": "Fler besökare", "evaluation": "2026-12-01"},
        "login_reference": "Lösenordsvalvet, post 12",
        "requester_person_id": 1,
        "source": "request",
        "manager_person_id": 2,
        "manager_source": "graph",
        "manager_has_login_access": True,
        "address": f"https://www.instagram.com/kanal{number}",
        "start_date": date(2026, 1, 5),
        "next_documentation_due": date(2026, 7, 5),
        "created_at": START,
        "updated_at": START,
    }
    row.update(values)
    return row


# Three channels (active, waiting for approval, closed) with editors, a consent and the check
# that relies on it, a documentation round with its screenshot, a capture, mail and audit.
ROWS: dict[str, list[dict[str, Any]]] = {
    "people": [_person(1), _person(2), _person(3)],
    "channels": [
        _channel(1, "active"),
        _channel(
            2, "pending_approval", address=None, start_date=None, next_documentation_due=None
        ),
        _channel(3, "closed", closed_at=START),
    ],
    "channel_editors": [
        {"id": n, "channel_id": c, "person_id": p, "status": "accepted", "nominated_at": START}
        for n, (c, p) in enumerate([(1, 1), (1, 3), (3, 1)], start=1)
    ],
    "consents": [
        {
            "id": 1,
            "channel_id": 1,
            "subject": "Elev A",
            "minor": True,
            "guardian": "Vårdnadshavare A",
            "scope": "several_contexts",
            "form": "written",
            "document_reference": "Pärm 3",
            "status": "active",
            "recorded_by_person_id": 3,
            "recorded_at": START,
            "details": {"age": 12},
        }
    ],
    "consent_checks": [
        {
            "id": 1,
            "channel_id": 1,
            "person_id": 3,
            "answers": {"identifiable": True},
            "outcome": "publish",
            "missing": {},
            "checked_at": START,
            "post_address": "https://www.instagram.com/p/abc",
            "post_reminders": 0,
            "details": {},
        }
    ],
    "consent_check_consents": [{"check_id": 1, "consent_id": 1}],
    "documentation_rounds": [
        {
            "id": 1,
            "channel_id": 1,
            "due_date": date(2026, 1, 5),
            "completed_by_person_id": 3,
            "completed_at": START,
            "note": "Startsida och tre inlägg",
            "package_file_key": "packages/1.zip",
            "package_sha256": "ab" * 32,
        }
    ],
    "documentation_files": [
        {
            "id": 1,
            "round_id": 1,
            "file_key": "screenshots/1.png",
            "filename": "startsida.png",
            "content_type": "image/png",
            "size": 1234,
            "sha256": "cd" * 32,
            "start_page": True,
        }
    ],
    "captures": [
        {
            "id": 1,
            "channel_id": 1,
            "round_due": date(2026, 7, 5),
            "url": "https://www.instagram.com/kanal1",
            "start_page": True,
            "status": "done",
            "dedupe_key": "capture:1",
            "attempts": 1,
            "result": {"files": ["captures/1.png"]},
            "created_at": START,
            "finished_at": START + timedelta(minutes=1),
        }
    ],
    "outbox": [
        {
            "id": 1,
            "kind": "email",
            "status": "sent",
            "tenant_id": TENANT,
            "recipient_address": "registrator@kanalkollen.example",
            "payload": {"subject": "Dokumentation"},
            "due_at": START,
            "attempts": 1,
            "created_at": START,
            "sent_at": START,
        }
    ],
    "audit_events": [
        {
            "id": 1,
            "at": START,
            "actor_person_id": 2,
            "actor": "Testperson 2",
            "action": "channel.approved",
            "subject_type": "channel",
            "subject_id": "1",
            "details": {"version": 3},
        }
    ],
}


def _insert(connection: Connection) -> None:
    metadata = MetaData()
    metadata.reflect(connection)
    for name, rows in ROWS.items():
        connection.execute(metadata.tables[name].insert(), rows)


def _snapshot(connection: Connection) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, by primary key, without the columns 0008 and later add."""
    metadata = MetaData()
    metadata.reflect(connection)
    found = {}
    for name, table in metadata.tables.items():
        if name == "alembic_version":
            continue
        rows = connection.execute(select(table).order_by(*_key(table))).mappings()
        found[name] = [
            {k: v for k, v in row.items() if k not in NEW_COLUMNS | LATER_COLUMNS} for row in rows
        ]
    return found


def _key(table: Table) -> list[Any]:
    return list(table.primary_key.columns)


def _channel_columns(connection: Connection) -> set[str]:
    return {column["name"] for column in inspect(connection).get_columns("channels")}


def _channel_indexes(connection: Connection) -> set[str]:
    return {str(index["name"]) for index in inspect(connection).get_indexes("channels")}


async def _old_database(engine: AsyncEngine) -> dict[str, list[dict[str, Any]]]:
    async with engine.begin() as connection:
        await connection.run_sync(_insert)
    async with engine.connect() as connection:
        return await connection.run_sync(_snapshot)


async def test_upgrading_keeps_every_row_and_puts_every_channel_in_the_one_organisation(
    old_engine: AsyncEngine,
):
    before = await _old_database(old_engine)
    assert {name for name, rows in before.items() if rows} == set(ROWS)

    await upgrade_head(old_engine)

    assert await current_revision(old_engine) == head_revision()
    async with old_engine.connect() as connection:
        assert await connection.run_sync(_snapshot) == before
        assert await connection.run_sync(_channel_columns) >= NEW_COLUMNS
        assert {"ix_channels_organisation_due", "ix_channels_administration_due"} <= (
            await connection.run_sync(_channel_indexes)
        )
    sessions = session_factory(old_engine)
    async with sessions() as session:
        placed = (
            await session.execute(select(ChannelRow.organisation, ChannelRow.administration))
        ).all()
        assert placed == [(DEFAULT_SLUG, DEFAULT_SLUG)] * 3
        assert await organisations_in_use(session) == {DEFAULT_SLUG: {DEFAULT_SLUG}}
        # The scoped queries find the old data in the one organisation, and nowhere else.
        due = await channels_due_by(session, date(2026, 12, 31), organisation=DEFAULT_SLUG)
        assert [(c.id, c.organisation, c.administration) for c in due] == [
            (1, DEFAULT_SLUG, DEFAULT_SLUG)
        ]
        assert await channels_due_by(session, date(2026, 12, 31), organisation="other") == []
        visible = await visible_channels(
            session, 3, organisation=DEFAULT_SLUG, administration=DEFAULT_SLUG
        )
        assert [c.id for c in visible] == [1]


async def test_downgrading_to_0007_gives_back_the_old_rows(old_engine: AsyncEngine):
    before = await _old_database(old_engine)
    await upgrade_head(old_engine)

    await downgrade_to(old_engine, BEFORE)

    assert await current_revision(old_engine) == BEFORE
    async with old_engine.connect() as connection:
        assert await connection.run_sync(_snapshot) == before
        assert not NEW_COLUMNS & await connection.run_sync(_channel_columns)
    # ... and up again.
    await upgrade_head(old_engine)
    assert await current_revision(old_engine) == head_revision()


async def test_downgrading_refuses_to_merge_two_organisations(old_engine: AsyncEngine):
    await _old_database(old_engine)
    await upgrade_head(old_engine)
    async with session_factory(old_engine).begin() as session:
        channel = await session.get(ChannelRow, 3)
        assert channel is not None
        channel.organisation = "molndal"

    with pytest.raises(RuntimeError, match="2 organisations"):
        await downgrade_to(old_engine, BEFORE)

    assert await current_revision(old_engine) == head_revision()


async def test_a_renamed_organisation_takes_all_its_channels(old_engine: AsyncEngine):
    await _old_database(old_engine)
    await upgrade_head(old_engine)

    async with session_factory(old_engine).begin() as session:
        moved = await move_channels(session, DEFAULT_SLUG, "goteborg")

    async with session_factory(old_engine)() as session:
        assert moved == 3
        assert await organisations_in_use(session) == {"goteborg": {DEFAULT_SLUG}}
