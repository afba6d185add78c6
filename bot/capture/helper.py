"""The capture helper: a child process that runs the browser for the bot, as another user.

`python -m bot.capture.helper` is started by `bot.capture.isolated.IsolatedCapturer` as the
capture user, with the minimal environment of `bot.capture.isolation`; the Playwright driver
and Chromium it starts inherit both. It reads one JSON line of options, then one JSON line per
capture (`{"url", "now"}`), and answers each with a JSON line that describes the capture and
gives the sizes of the PNG, the PDF and the WARC, whose bytes follow it. Nothing else is
written to its standard output; its log goes to standard error, which the bot's log shares.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from bot.capture.browser import BrowserCapturer, Capture
from bot.capture.isolation import drop_privileges
from domain.clock import FixedClock

log = logging.getLogger(__name__)


def encode_capture(capture: Capture, *, sandboxed: bool | None) -> bytes:
    """The answer to one capture: a JSON line, then the files' bytes."""
    head = {
        "url": capture.url,
        "final_url": capture.final_url,
        "captured_at": capture.captured_at.isoformat(),
        "http_status": capture.http_status,
        "failure": capture.failure,
        "seconds": capture.seconds,
        "resources": capture.resources,
        "sizes": [len(capture.png), len(capture.pdf), len(capture.warc)],
        "sandboxed": sandboxed,
    }
    return json.dumps(head).encode() + b"\n" + capture.png + capture.pdf + capture.warc


def decode_head(line: bytes) -> dict[str, Any]:
    """The JSON line of an answer; raises ValueError for anything else."""
    head = json.loads(line)
    if not isinstance(head, dict) or not isinstance(head.get("sizes"), list):
        raise ValueError("not an answer of the capture helper")
    return head


def capture_from(head: dict[str, Any], png: bytes, pdf: bytes, warc: bytes) -> Capture:
    """The capture an answer describes."""
    return Capture(
        url=str(head["url"]),
        final_url=str(head["final_url"]),
        captured_at=datetime.fromisoformat(head["captured_at"]),
        http_status=head["http_status"],
        failure=head["failure"],
        png=png,
        pdf=pdf,
        warc=warc,
        seconds=float(head["seconds"]),
        resources=int(head["resources"]),
    )


def _load_everything() -> None:
    """Imports what a capture will need while the interpreter can still read its library."""
    import concurrent.futures.thread  # noqa: F401  (asyncio.to_thread)
    import encodings.idna  # noqa: F401  (host names)
    import zlib  # noqa: F401

    import playwright.async_api  # noqa: F401
    import warcio.warcwriter  # noqa: F401

    import bot.capture.warc_writer  # noqa: F401


async def serve(inbox: BinaryIO, outbox: BinaryIO) -> None:
    """Becomes the capture user, then answers captures until the bot closes standard input."""
    options = json.loads(inbox.readline() or b"{}")
    if options.get("uid") is not None:
        _load_everything()
        drop_privileges(int(options["uid"]), int(options["gid"]))
    log.info("running as uid %d", os.geteuid())
    clock = FixedClock(datetime.fromisoformat(options["now"]))
    capturer = BrowserCapturer(
        Path(options["chromium"]),
        clock,
        timeout_seconds=float(options["timeout_seconds"]),
        max_bytes=int(options["max_bytes"]),
        allow_loopback_for_tests=bool(options["allow_loopback_for_tests"]),
    )
    try:
        while line := await asyncio.to_thread(inbox.readline):
            ask = json.loads(line)
            clock.set(datetime.fromisoformat(ask["now"]))
            capture = await capturer.capture(str(ask["url"]))
            outbox.write(encode_capture(capture, sandboxed=capturer.sandboxed))
            outbox.flush()
    finally:
        await capturer.close()


def main() -> int:
    """Serves the bot on standard input and output (fd 1 is kept for the answers only)."""
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format="capture helper: %(levelname)s %(message)s"
    )
    outbox = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a stray print() or child can never corrupt the answers
    asyncio.run(serve(sys.stdin.buffer, outbox))
    return 0


if __name__ == "__main__":
    sys.exit(main())
