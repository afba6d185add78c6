"""The address rules of a capture: http(s) only, public addresses only, the channel's own host.

A channel's address is user input, so every request the browser makes (the page, its
redirects, its images and scripts) is checked here before it leaves the machine: the scheme,
and every address the host name resolves to. Loopback is allowed only where a test says so
(`allow_loopback`); production wiring never sets it. URLs are never logged with their query.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import Literal
from urllib.parse import urlsplit

Refusal = Literal["bad_scheme", "no_host", "unresolvable", "private_address"]

_SCHEMES = ("http", "https")
TEST_LOOPBACK = ("127.0.0.1", "::1")


def loggable(url: str) -> str:
    """The URL without its query and fragment (they may carry tokens)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}{parts.path}"


def host_of(url: str) -> str:
    """The lower-case host name of a URL ("" when there is none)."""
    return (urlsplit(url).hostname or "").rstrip(".").lower()


def same_site(url: str, channel_host: str) -> bool:
    """True when the URL is on the channel's own host (navigation never leaves it)."""
    return host_of(url) == channel_host.rstrip(".").lower()


# IPv6 ranges whose last 32 bits are an IPv4 address that the packets end up at: NAT64's
# well-known prefix (RFC 6052), IPv4-translated (RFC 2765) and IPv4-compatible (RFC 4291).
_LAST_32_BITS_IPV4 = tuple(
    ipaddress.IPv6Network(n) for n in ("64:ff9b::/96", "::ffff:0:0:0/96", "::/96")
)
# NAT64 for local use (RFC 8215): the IPv4 address sits anywhere; the whole range is refused.
_LOCAL_NAT64 = ipaddress.IPv6Network("64:ff9b:1::/48")


def public_ip(address: str, *, allow_loopback: bool = False) -> bool:
    """True for a globally routable address (never private, link-local, loopback, ...).

    An IPv6 address that carries an IPv4 address (IPv4-mapped, 6to4, Teredo, NAT64,
    IPv4-compatible) is as public as every IPv4 address inside it: Python 3.11 calls
    2002:a00:1:: (6to4 for 10.0.0.1) global (issue 24, point 10).
    """
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in _LOCAL_NAT64 or ip.teredo is not None:
            return False  # Teredo (2001::/32) is not globally reachable (IANA), whatever it holds
        inner = embedded_ipv4(ip)
        if inner:
            return all(public_ip(str(v4), allow_loopback=allow_loopback) for v4 in inner)
    if ip.is_loopback:
        # Tests serve their pages on 127.0.0.1 (or ::1); the rest of loopback stays refused,
        # so that a test can tell the fetcher's connections from the browser's own.
        return allow_loopback and str(ip) in TEST_LOOPBACK
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


def embedded_ipv4(ip: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, ...]:
    """The IPv4 addresses an IPv6 address carries (none for an ordinary IPv6 address)."""
    if ip.ipv4_mapped is not None:
        return (ip.ipv4_mapped,)
    if ip.sixtofour is not None:
        return (ip.sixtofour,)
    if ip.teredo is not None:
        return ip.teredo  # the server, and the client behind its NAT
    if ip.is_unspecified or ip.is_loopback:  # :: and ::1 are in ::/96 but carry no IPv4
        return ()
    if any(ip in network for network in _LAST_32_BITS_IPV4):
        return (ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF),)
    return ()


async def refusal(url: str, *, allow_loopback: bool = False) -> Refusal | None:
    """Why the URL may not be fetched, or None when it may (resolves the host name)."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in _SCHEMES:
        return "bad_scheme"
    host = (parts.hostname or "").rstrip(".")
    if not host:
        return "no_host"
    if parts.username or parts.password:
        return "bad_scheme"  # no credentials, ever
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            host, parts.port or (443 if parts.scheme == "https" else 80), type=socket.SOCK_STREAM
        )
    except (OSError, UnicodeError):
        return "unresolvable"
    addresses = {info[4][0] for info in infos}
    if not addresses:
        return "unresolvable"
    # Every address must be public: a name resolving to one public and one private address
    # could be answered with either.
    if not all(public_ip(str(a), allow_loopback=allow_loopback) for a in addresses):
        return "private_address"
    return None
