"""Capture tests need the machine's Chromium; without it they are skipped, with the reason."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.capture.browser import BrowserCapturer, find_chromium
from domain.clock import FixedClock
from tests.support.capture_site import CaptureSite


@pytest.fixture
def chromium() -> Path:
    """The browser, or a visible skip."""
    found = find_chromium(None)
    if found is None:
        pytest.skip("no Chromium at /usr/bin/chromium: capture tests need Debian's chromium")
    return found


@pytest.fixture
async def site() -> AsyncIterator[CaptureSite]:
    async with CaptureSite() as served:
        yield served


@pytest.fixture
async def capturer(chromium: Path, clock: FixedClock) -> AsyncIterator[BrowserCapturer]:
    """A capturer that may visit loopback (the test site); production never allows it."""
    capturer = BrowserCapturer(chromium, clock, timeout_seconds=8, allow_loopback_for_tests=True)
    yield capturer
    await capturer.close()
