"""Test databases: a SQLite file or a PostgreSQL database per test, migrated or empty.

Migrating takes a few hundred milliseconds, and hundreds of tests start on a migrated database
(issue 25). So each test process migrates one template once, and each test gets a copy of it:
the SQLite file copied, or `CREATE DATABASE ... TEMPLATE` on PostgreSQL. Every pytest-xdist
worker is a process with templates of its own, so no two workers share a database.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from storage.db import create_engine
from storage.migrate import upgrade_head

POSTGRES_ENV = "KANALKOLLEN_TEST_DATABASE_URL"
POSTGRES_SKIP_REASON = (
    f"{POSTGRES_ENV} is not set: the PostgreSQL suite needs a server "
    "(.ci/run sets it for the local PostgreSQL on 127.0.0.1:5432)"
)
SQLITE_FILE = "kanalkollen.db"


def postgres_admin_url() -> str | None:
    """Returns the configured PostgreSQL URL, or None where none is configured."""
    return os.environ.get(POSTGRES_ENV) or None


def sqlite_url(directory: Path) -> str:
    """A SQLite database file in a test's own folder."""
    return f"sqlite+aiosqlite:///{directory / SQLITE_FILE}"


async def _migrate(url: str) -> None:
    engine = create_engine(url)
    try:
        await upgrade_head(engine)
    finally:
        await engine.dispose()


def migrate_now(url: str) -> None:
    """Migrates a database to the newest revision from synchronous code (a session fixture).

    The migration runs its own event loop on a thread of its own, so that it neither needs nor
    disturbs the loop of the test that first asks for a template.
    """
    with ThreadPoolExecutor(max_workers=1) as thread:
        thread.submit(asyncio.run, _migrate(url)).result()


def make_sqlite_template(directory: Path) -> Path:
    """Migrates a SQLite file in `directory` once; tests start on copies of it."""
    migrate_now(sqlite_url(directory))
    template = directory / SQLITE_FILE
    # The engine is disposed: WAL is checkpointed, and the file alone is the whole database.
    if (directory / f"{SQLITE_FILE}-wal").exists():
        raise RuntimeError(f"{template} still has a write-ahead log: it cannot be copied")
    return template


def copy_sqlite_template(template: Path, directory: Path) -> str:
    """Puts a copy of the migrated template in a test's folder; returns its URL."""
    shutil.copyfile(template, directory / SQLITE_FILE)
    return sqlite_url(directory)


def _admin_dsn(admin_url: str) -> str:
    return make_url(admin_url).set(drivername="postgresql").render_as_string(hide_password=False)


def _database_url(admin_url: str, name: str) -> str:
    return (
        make_url(admin_url)
        .set(drivername="postgresql+asyncpg", database=name)
        .render_as_string(hide_password=False)
    )


async def _create(admin_url: str, name: str, template: str | None = None) -> None:
    admin = await asyncpg.connect(_admin_dsn(admin_url))
    try:
        suffix = f' TEMPLATE "{template}"' if template else ""
        await admin.execute(f'CREATE DATABASE "{name}"{suffix}')
        # A test database is thrown away: its commits need not wait for the disk.
        await admin.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    finally:
        await admin.close()


async def _drop(admin_url: str, name: str) -> None:
    admin = await asyncpg.connect(_admin_dsn(admin_url))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def make_postgres_template(admin_url: str) -> str:
    """Creates and migrates a template database once per test process; returns its name."""
    name = f"kk_template_{uuid.uuid4().hex[:12]}"
    with ThreadPoolExecutor(max_workers=1) as thread:
        thread.submit(asyncio.run, _create(admin_url, name)).result()
    try:
        migrate_now(_database_url(admin_url, name))
    except BaseException:
        drop_postgres_now(admin_url, name)
        raise
    return name


def drop_postgres_now(admin_url: str, name: str) -> None:
    """Drops a database from synchronous code (the end of the session)."""
    with ThreadPoolExecutor(max_workers=1) as thread:
        thread.submit(asyncio.run, _drop(admin_url, name)).result()


class PostgresDropper:
    """Drops the tests' databases on a thread of its own while the next tests run.

    Dropping a database waits for the disk; nothing after the test needs it gone. `close` (at
    the end of the session) waits for every drop and raises the first that failed.
    """

    def __init__(self) -> None:
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kk-drop")
        self._drops: list[Future[None]] = []

    def drop(self, admin_url: str, name: str) -> None:
        """Drops a database soon."""
        self._drops.append(self._thread.submit(asyncio.run, _drop(admin_url, name)))

    def close(self) -> None:
        """Waits until every database handed over is dropped."""
        self._thread.shutdown(wait=True)
        for dropped in self._drops:
            dropped.result()


@asynccontextmanager
async def fresh_postgres(
    admin_url: str, template: str | None = None, dropper: PostgresDropper | None = None
) -> AsyncIterator[str]:
    """Creates a database for one test (empty, or a copy of `template`) and drops it after
    (by the `dropper` when given, else before returning)."""
    name = f"kk_test_{uuid.uuid4().hex[:12]}"
    await _create(admin_url, name, template)
    try:
        yield _database_url(admin_url, name)
    finally:
        if dropper is not None:
            dropper.drop(admin_url, name)
        else:
            await _drop(admin_url, name)
