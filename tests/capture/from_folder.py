"""Run by tests/capture/test_any_folder.py with the interpreter of a checkout in a 0700 folder.

Prints one JSON line: whether the capture user could reach the checkout's Playwright driver,
the start-up check's answer, and what a capture of a loopback page gave.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from pathlib import Path

import playwright

from bot.capture.browser import find_chromium
from bot.capture.isolated import IsolatedCapturer
from bot.capture.isolation import capture_user, may_read
from domain.clock import SystemClock
from tests.support.capture_site import CaptureSite


async def main() -> dict[str, object]:
    user = capture_user("")
    driver = Path(playwright.__file__).parent / "driver" / "node"
    chromium = find_chromium(None)
    assert chromium is not None
    capturer = IsolatedCapturer(
        chromium, SystemClock(), user, timeout_seconds=15, allow_loopback_for_tests=True
    )
    try:
        answer = await capturer.check()
        async with CaptureSite() as site:
            capture = await capturer.capture(site.url("/"))
            served = list(site.paths)
    finally:
        await capturer.close()
    return {
        "python": sys.executable,
        "driver": str(driver),
        "user_reads_driver": may_read(driver, user),
        "check": answer,
        "failure": capture.failure,
        "png": capture.png[:8].hex(),
        "served": served,
    }


if __name__ == "__main__":
    logging.basicConfig(stream=sys.stderr, level=logging.INFO)
    print(json.dumps(asyncio.run(main())))
