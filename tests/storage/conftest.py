"""Fixtures of the storage suite, on top of the shared databases in tests/conftest.py."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import create_engine


@pytest.fixture
async def second_engine(database_url: str, engine: AsyncEngine) -> AsyncIterator[AsyncEngine]:
    """Another engine on the same (already migrated) database: a second bot instance."""
    other = create_engine(database_url)
    yield other
    await other.dispose()
