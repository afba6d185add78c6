"""The production start-up check, run once per test session (issue 25)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools

from bot.capture.browser import find_chromium
from bot.capture.isolated import IsolatedCapturer
from bot.capture.isolation import CaptureUserError, capture_user
from bot.capture.setup import why_not
from domain.clock import SystemClock


@functools.cache
def start_up_reason() -> str | None:
    """None when captures can work on this machine, else the one line the bot would log.

    Runs its own event loop in a thread, so that a test may ask from inside its loop.
    """
    found = find_chromium(None)
    if found is None:
        return "no Chromium at /usr/bin/chromium: capture tests need Debian's chromium"
    try:
        user = capture_user("")
    except CaptureUserError as error:
        return str(error)

    async def check() -> dict[str, object]:
        capturer = IsolatedCapturer(found, SystemClock(), user)
        try:
            return await capturer.check()
        finally:
            await capturer.close()

    # In a thread of its own: callers may run inside an event loop (an async test).
    with concurrent.futures.ThreadPoolExecutor(1) as thread:
        answer = thread.submit(asyncio.run, check()).result()
    return None if answer.get("ok") else why_not(answer, user, found)
