"""Capture tests need the machine's Chromium; without it they are skipped, with the reason.

The `capturer` is the one production uses: a helper process that becomes the capture user
(`nobody` when the tests run as root) and runs the driver and the browser.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.capture.browser import find_chromium
from bot.capture.isolated import IsolatedCapturer
from bot.capture.isolation import CaptureUser, capture_user
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
def other_user() -> CaptureUser:
    """The capture user when it differs from ours (root only), or a visible skip."""
    if os.geteuid() != 0:
        pytest.skip("running the browser as another user needs root; these tests run as a user")
    return capture_user("")


@pytest.fixture
async def site() -> AsyncIterator[CaptureSite]:
    async with CaptureSite() as served:
        yield served


@pytest.fixture
async def capturer(chromium: Path, clock: FixedClock) -> AsyncIterator[IsolatedCapturer]:
    """A capturer that may visit loopback (the test site); production never allows it."""
    capturer = IsolatedCapturer(
        chromium, clock, capture_user(""), timeout_seconds=8, allow_loopback_for_tests=True
    )
    yield capturer
    await capturer.close()
