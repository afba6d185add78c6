"""Fixtures shared by the stories: a local file server (Teams file downloads) and an SMTP sink."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.file_server import FileServer
from tests.support.smtp_sink import SmtpSink


@pytest.fixture
async def files() -> AsyncIterator[FileServer]:
    """Serves files as Teams' pre-authenticated download URLs do."""
    async with FileServer() as server:
        yield server


@pytest.fixture
async def smtp() -> AsyncIterator[SmtpSink]:
    """A local SMTP server that keeps what it receives."""
    async with SmtpSink() as sink:
        yield sink
