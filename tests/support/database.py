"""Test databases: a fresh SQLite file, or a fresh PostgreSQL database per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

POSTGRES_ENV = "KANALKOLLEN_TEST_DATABASE_URL"
POSTGRES_SKIP_REASON = (
    f"{POSTGRES_ENV} is not set: the PostgreSQL suite needs a server "
    "(.ci/run sets it for the local PostgreSQL on 127.0.0.1:5432)"
)


def postgres_admin_url() -> str | None:
    """Returns the configured PostgreSQL URL, or None where none is configured."""
    return os.environ.get(POSTGRES_ENV) or None


def sqlite_url(directory: Path) -> str:
    """A SQLite database file in a test's own folder."""
    return f"sqlite+aiosqlite:///{directory / 'kanalkollen.db'}"


@asynccontextmanager
async def fresh_postgres(admin_url: str) -> AsyncIterator[str]:
    """Creates an empty database for one test and drops it afterwards."""
    url = make_url(admin_url)
    name = f"kk_test_{uuid.uuid4().hex[:12]}"
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    admin = await asyncpg.connect(dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield url.set(drivername="postgresql+asyncpg", database=name).render_as_string(
            hide_password=False
        )
    finally:
        admin = await asyncpg.connect(dsn)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()
