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
    # Only the test site's own address: the rest of loopback stands for "somewhere else".
    assert await refusal("http://127.0.0.2:8080/", allow_loopback=True) == "private_address"


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


@pytest.mark.parametrize(
    ("address", "public"),
    [
        # 6to4 (2002::/16): the IPv4 address is in bits 16-48.
        ("2002:7f00:1::1", False),  # 127.0.0.1
        ("2002:a00:1::", False),  # 10.0.0.1
        ("2002:c0a8:101::1", False),  # 192.168.1.1
        ("2002:a9fe:a9fe::", False),  # 169.254.169.254
        ("2002:5db8:d822::1", True),  # 93.184.216.34
        # Teredo (2001::/32): the server, and the client obfuscated in the last 32 bits.
        ("2001:0:53aa:64c:0:0:f5ff:fffe", False),  # client 10.0.0.1
        ("2001:0:53aa:64c:0:0:80ff:fffe", False),  # client 127.0.0.1
        ("2001:0:a00:1:0:0:a2b7:d7dd", False),  # server 10.0.0.1
        ("2001:0:4136:e378:8000:63bf:a2b7:d7dd", False),  # Teredo is never global
        # NAT64 (64:ff9b::/96, RFC 6052) and its local-use range (64:ff9b:1::/48, RFC 8215).
        ("64:ff9b::7f00:1", False),  # 127.0.0.1
        ("64:ff9b::a00:1", False),  # 10.0.0.1
        ("64:ff9b::a9fe:a9fe", False),  # 169.254.169.254
        ("64:ff9b::5db8:d822", True),  # 93.184.216.34
        ("64:ff9b:1::5db8:d822", False),
        # IPv4-mapped, IPv4-translated (RFC 2765) and IPv4-compatible (deprecated) addresses.
        ("::ffff:10.0.0.1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:0:10.0.0.1", False),
        ("::ffff:0:127.0.0.1", False),
        ("::127.0.0.1", False),
        ("::10.0.0.1", False),
        ("::169.254.169.254", False),
        ("::ffff:93.184.216.34", True),
        ("::", False),
        ("::1", False),
    ],
)
def test_private_addresses_hidden_in_ipv6_are_refused(address: str, public: bool):
    # Issue 24, point 10: Python 3.11 calls 2002:a00:1:: (6to4 for 10.0.0.1) global.
    assert public_ip(address) is public


@pytest.mark.parametrize(
    "address", ["2002:7f00:1::1", "64:ff9b::7f00:1", "::ffff:0:127.0.0.1", "::127.0.0.1"]
)
def test_loopback_hidden_in_ipv6_follows_the_test_allowance(address: str):
    assert not public_ip(address)
    assert public_ip(address, allow_loopback=True)


async def test_an_ipv6_literal_hiding_a_private_address_is_refused():
    assert await refusal("http://[2002:a00:1::]/") == "private_address"
    assert await refusal("http://[64:ff9b::a9fe:a9fe]/latest/meta-data/") == "private_address"
