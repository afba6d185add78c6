"""Alembic migrations run from code: `kanalkollen migrate` and on start."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from importlib.resources import files

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine

# An arbitrary constant: the PostgreSQL advisory lock that serialises migrations when several
# instances start at once.
_MIGRATION_LOCK_ID = 74_118_201


def _config(connection: Connection | None = None) -> Config:
    """Builds the Alembic configuration pointing at our migrations folder."""
    config = Config()
    config.set_main_option("script_location", str(files("storage") / "migrations"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    """Returns the newest migration's revision id."""
    return ScriptDirectory.from_config(_config()).get_current_head()


def _lock(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _MIGRATION_LOCK_ID})


def _upgrade(connection: Connection, revision: str = "head") -> None:
    _lock(connection)
    command.upgrade(_config(connection), revision)


def _downgrade(connection: Connection, revision: str = "base") -> None:
    _lock(connection)
    command.downgrade(_config(connection), revision)


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def _migrate(engine: AsyncEngine, step: Callable[[Connection], None]) -> None:
    """Runs a migration step in one transaction.

    SQLite alters a table by copying it (Alembic's batch mode), and dropping the old copy
    would fire ON DELETE actions of the tables that refer to it (cascades, the audit log's
    append-only trigger). Foreign keys are therefore off during a SQLite migration, as Alembic
    advises, and checked afterwards.
    """
    async with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            await connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        try:
            await connection.run_sync(step)
            await connection.commit()
            if sqlite:
                broken = (await connection.exec_driver_sql("PRAGMA foreign_key_check")).all()
                if broken:
                    raise RuntimeError(f"migration left broken foreign keys: {broken[:5]}")
        finally:
            if sqlite:
                await connection.rollback()
                await connection.exec_driver_sql("PRAGMA foreign_keys=ON")


async def upgrade_head(engine: AsyncEngine) -> None:
    """Migrates the database to the newest revision."""
    await _migrate(engine, _upgrade)


async def upgrade_to(engine: AsyncEngine, revision: str) -> None:
    """Migrates the database up to a given revision (tests of a migration on older data)."""
    await _migrate(engine, partial(_upgrade, revision=revision))


async def downgrade_to(engine: AsyncEngine, revision: str) -> None:
    """Migrates the database down to a given revision."""
    await _migrate(engine, partial(_downgrade, revision=revision))


async def downgrade_base(engine: AsyncEngine) -> None:
    """Undoes every migration, leaving an empty database (for tests and a clean reinstall)."""
    await _migrate(engine, _downgrade)


async def current_revision(engine: AsyncEngine) -> str | None:
    """Returns the revision the database is at (None when never migrated)."""
    async with engine.connect() as connection:
        return await connection.run_sync(_current)


async def is_at_head(engine: AsyncEngine) -> bool:
    """Tells whether the database is reachable and migrated to the newest revision."""
    return await current_revision(engine) == head_revision()
