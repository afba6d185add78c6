"""`kanalkollen serve` for tests that kill the process: the same start-up (load_settings from
the environment, create_app, the same access log), with captures allowed to reach the test's
loopback pages (`capture_allow_loopback_for_tests`, which production never sets).

    python -m tests.support.serve_for_tests
"""

from __future__ import annotations

import logging
from dataclasses import replace

from aiohttp import web

from bot.app import SafeAccessLogger, create_app
from bot.settings import load_settings


def main() -> None:
    """Serves like `kanalkollen serve`, with loopback captures allowed."""
    settings = replace(load_settings(), capture_allow_loopback_for_tests=True)
    logging.basicConfig(level=settings.log_level)
    web.run_app(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        access_log_class=SafeAccessLogger,
        print=lambda message: logging.info(message.strip()),
    )


if __name__ == "__main__":
    main()
