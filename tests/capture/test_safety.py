"""The address rules of a capture (no browser needed)."""

from __future__ import annotations

import pytest

from bot.capture.safety import loggable, public_ip, refusal, same_site


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("ftp://example.org/", "bad_scheme"),
        ("file:///etc/passwd", "bad_scheme"),
        ("javascript:alert(1)", "bad_scheme"),
        ("https://user:secret@example.org/", "bad_scheme"),
        ("http:///nohost", "no_host"),
        ("http://127.0.0.1:3978/api/messages", "private_address"),
        ("http://localhost/", "private_address"),
        ("http://[::1]/", "private_address"),
        ("http://10.0.0.1/", "private_address"),
        ("http://192.168.1.1/", "private_address"),
        ("http://172.16.5.5/", "private_address"),
        ("http://169.254.169.254/latest/meta-data/", "private_address"),
        ("http://[fe80::1]/", "private_address"),
        ("http://[::ffff:10.0.0.1]/", "private_address"),
        ("http://0.0.0.0/", "private_address"),
        ("http://name-that-does-not-exist.invalid/", "unresolvable"),
    ],
)
async def test_addresses_a_capture_refuses(url: str, why: str):
    assert await refusal(url) == why


async def test_loopback_only_with_the_test_allowance():
    assert await refusal("http://127.0.0.1:8080/") == "private_address"
    assert await refusal("http://127.0.0.1:8080/", allow_loopback=True) is None
    # The allowance is for loopback only: private ranges stay refused.
    assert await refusal("http://10.0.0.1/", allow_loopback=True) == "private_address"


def test_public_addresses_are_allowed():
    assert public_ip("93.184.216.34")
    assert public_ip("2606:2800:220:1:248:1893:25c8:1946")
    assert not public_ip("100.64.0.1")  # carrier-grade NAT


def test_navigation_stays_on_the_channels_host():
    assert same_site("https://www.instagram.com/ugglan/", "www.instagram.com")
    assert not same_site("https://accounts.instagram.com/login", "www.instagram.com")
    assert not same_site("https://evil.example/www.instagram.com", "www.instagram.com")


def test_logged_addresses_lose_their_query():
    assert loggable("https://x.example/p?token=secret#frag") == "https://x.example/p"
