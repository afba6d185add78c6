"""The walls of real platforms (tests/support/capture_walls.py): none is captured, each is
named, so that the editor is told why in one sentence and sends their own screenshots."""

from __future__ import annotations

import pytest

from bot.capture.isolated import IsolatedCapturer
from tests.support.capture_site import CaptureSite


@pytest.mark.parametrize(
    ("path", "failure", "status"),
    [
        ("/instagram/ugglan/", "login_wall", 200),
        ("/facebook/ugglan", "login_wall", 200),
        ("/facebook/ugglan-dialog", "login_wall", 200),
        ("/facebook/cookies", "cookie_wall", 200),
        ("/youtube/@ugglan", "cookie_wall", None),
        ("/youtube/consent-page", "cookie_wall", 200),
        ("/linkedin/company/ugglan", "login_wall", 200),
        ("/linkedin/999", "blocked", 999),
        ("/tiktok/@ugglan", "blocked", 200),
        ("/x/ugglan", "login_wall", 200),
        ("/too-many", "blocked", 429),
        ("/forbidden-bots", "blocked", 403),
        ("/cloudflare", "blocked", 503),
    ],
)
async def test_a_platforms_wall_is_named_and_nothing_behind_it_is_kept(
    capturer: IsolatedCapturer, site: CaptureSite, path: str, failure: str, status: int | None
):
    capture = await capturer.capture(site.url(path))
    assert (capture.failure, capture.http_status) == (failure, status)
    assert capture.png == capture.pdf == capture.warc == b""


async def test_a_consent_redirect_is_never_fetched(capturer: IsolatedCapturer, site: CaptureSite):
    capture = await capturer.capture(site.url("/youtube/@ugglan"))
    assert capture.failure == "cookie_wall"
    assert capture.final_url.startswith("http://consent.localhost:")
    assert not any(p.startswith("/ml") for p in site.paths)
