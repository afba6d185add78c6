"""Capture tests need the machine's Chromium, and a capture user who can run it.

Without Chromium they are skipped, with the reason. With it, the start-up check of production
(bot.capture.setup: the helper as the capture user, confined, imports, one browser launch) runs
once per session; where it fails (no namespaces in a container, say) the tests that capture
are skipped with the very line the bot's log gives, and never fail for it (issue 25).

The `capturer` is the one production uses: a helper process that becomes the capture user
(`nobody` when the tests run as root) and runs the driver and the browser. It is one for the
whole session (starting a helper and its browser takes seconds): the async tests of this folder
run in the session's event loop, and so do their async fixtures.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot.capture.browser import find_chromium
from bot.capture.isolated import IsolatedCapturer
from bot.capture.isolation import CaptureUser, capture_user
from domain.clock import FixedClock
from tests.capture.check import start_up_reason
from tests.conftest import START
from tests.support.capture_site import CaptureSite


@pytest.fixture(scope="session")
def start_up_check() -> str | None:
    """None when captures can work on this machine, else the one line the bot would log."""
    return start_up_reason()


@pytest.fixture
def chromium(start_up_check: str | None) -> Path:
    """The browser, or a visible skip with the start-up check's reason."""
    if start_up_check is not None:
        pytest.skip(f"captures are off here: {start_up_check}")
    found = find_chromium(None)
    assert found is not None
    return found


@pytest.fixture
def other_user() -> CaptureUser:
    """The capture user when it differs from ours (root only), or a visible skip."""
    if os.geteuid() != 0:
        pytest.skip("running the browser as another user needs root; these tests run as a user")
    return capture_user("")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The async tests of this folder run in the session's loop, where the capturer lives."""
    here = Path(__file__).parent
    session_loop = pytest.mark.asyncio(loop_scope="session")
    for item in items:
        if item.path.is_relative_to(here) and pytest_asyncio.is_async_test(item):
            item.add_marker(session_loop, append=False)


@pytest_asyncio.fixture(loop_scope="session")
async def site() -> AsyncIterator[CaptureSite]:
    async with CaptureSite() as served:
        yield served


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def shared_capturer(start_up_check: str | None) -> AsyncIterator[IsolatedCapturer]:
    """One helper and browser for the session's tests (restarted when a test stops them)."""
    if start_up_check is not None:
        pytest.skip(f"captures are off here: {start_up_check}")
    found = find_chromium(None)
    assert found is not None
    capturer = IsolatedCapturer(
        found,
        FixedClock(START),
        capture_user(""),
        timeout_seconds=8,
        allow_loopback_for_tests=True,
    )
    yield capturer
    await capturer.close()


@pytest_asyncio.fixture(loop_scope="session")
async def capturer(shared_capturer: IsolatedCapturer) -> IsolatedCapturer:
    """A capturer that may visit loopback (the test site); production never allows it."""
    return shared_capturer
