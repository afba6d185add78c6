"""Signed, expiring links to stored files, and the `GET /files/{key}` route that serves them.

A link is `{base}/files/{key}?exp={unix time}&sig={HMAC-SHA256(secret, key, exp)}`. The key is
already unguessable; the signature makes a link expire and stops anyone from turning a key seen
once (in a log, a forwarded card) into a lasting way in. The secret comes from the settings
(`FILES_SIGNING_KEY`). Production must set it: every instance needs the same secret, and links
must outlive a restart. In local mode an empty setting gives a random secret made at start,
so links stop working when the bot restarts.

The file is streamed from the store (the local folder or Azure Blob Storage) in chunks, so
any instance serves any file and a large package is never held whole in memory; no storage
URL or SAS ever reaches the person.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import logging
import math
import secrets
import unicodedata
from datetime import timedelta
from urllib.parse import quote, urlencode

from aiohttp import web

from domain.clock import Clock
from storage.files import FileStore, FileStoreUnavailable, NoSuchFile, is_valid_key

log = logging.getLogger(__name__)

FILES_PATH = "/files"
MIN_SECRET_BYTES = 32
_MAX_EXP_DIGITS = 12  # unix seconds until the year 33658; longer is not a time we signed
_CONTEXT = b"kanalkollen file link v1\x00"  # so this secret's MACs mean nothing elsewhere
# A link to one of the bot's own routes (a file made when it is asked for, never stored): its
# own context, so that a route's signature is never a file key's, nor the other way round.
_ROUTE_CONTEXT = b"kanalkollen route link v1\x00"


def signing_secret(configured: str, *, local_mode: bool) -> bytes:
    """Returns the link secret from the setting; a random one in local mode when it is empty."""
    if configured:
        secret = configured.encode("utf-8")
        if len(secret) < MIN_SECRET_BYTES:
            raise ValueError(f"FILES_SIGNING_KEY needs at least {MIN_SECRET_BYTES} bytes")
        return secret
    if not local_mode:
        raise ValueError("FILES_SIGNING_KEY must be set when the bot runs with app credentials")
    log.info("FILES_SIGNING_KEY is empty: file links stop working when the bot restarts")
    return secrets.token_bytes(MIN_SECRET_BYTES)


class FileLinkSigner:
    """Makes and checks the signatures of file links."""

    def __init__(self, secret: bytes, clock: Clock) -> None:
        if len(secret) < MIN_SECRET_BYTES:
            raise ValueError(f"a file link secret needs at least {MIN_SECRET_BYTES} bytes")
        self._secret = secret
        self._clock = clock

    def url_for(self, base_url: str, key: str, ttl: timedelta) -> str:
        """Returns a link to a stored file that works for `ttl` from now."""
        if ttl <= timedelta(0):
            raise ValueError("a file link needs a positive time to live")
        exp = str(math.ceil((self._clock.now() + ttl).timestamp()))
        query = urlencode({"exp": exp, "sig": self._sign(key, exp)})
        return f"{base_url.rstrip('/')}{FILES_PATH}/{quote(key, safe='/')}?{query}"

    def route_url_for(self, base_url: str, path: str, ttl: timedelta) -> str:
        """Returns a link to a route of the bot (`path`, e.g. /consent-register/3/sv.csv)
        that works for `ttl` from now; the signature covers the whole path."""
        if ttl <= timedelta(0):
            raise ValueError("a link needs a positive time to live")
        exp = str(math.ceil((self._clock.now() + ttl).timestamp()))
        query = urlencode({"exp": exp, "sig": self._sign(path, exp, _ROUTE_CONTEXT)})
        return f"{base_url.rstrip('/')}{quote(path, safe='/')}?{query}"

    def verify(self, key: str, exp: str | None, sig: str | None) -> bool:
        """Tells whether a link's signature is ours and its time has not run out."""
        return self._verify(key, exp, sig, _CONTEXT)

    def verify_route(self, path: str, exp: str | None, sig: str | None) -> bool:
        """Tells whether a route link's signature is ours and its time has not run out."""
        return self._verify(path, exp, sig, _ROUTE_CONTEXT)

    def _verify(self, key: str, exp: str | None, sig: str | None, context: bytes) -> bool:
        if not exp or not sig or len(exp) > _MAX_EXP_DIGITS:
            return False
        if not (exp.isascii() and exp.isdigit()) or not sig.isascii():
            return False
        expected = self._sign(key, exp, context).encode("ascii")
        if not hmac.compare_digest(expected, sig.encode("ascii")):
            return False
        return self._clock.now().timestamp() < int(exp)

    def _sign(self, key: str, exp: str, context: bytes = _CONTEXT) -> str:
        message = context + key.encode("utf-8") + b"\x00" + exp.encode("ascii")
        digest = hmac.new(self._secret, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class FileEndpoint:
    """GET /files/{key}: a stored file for whoever holds a valid, unexpired link."""

    def __init__(self, store: FileStore, signer: FileLinkSigner) -> None:
        self._store = store
        self._signer = signer

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Answers 403 to a wrong, missing or expired signature, 404 to an unknown file and 503
        when the store cannot be reached; streams the file otherwise."""
        key = request.match_info["key"]
        query = request.rel_url.query
        if not self._signer.verify(key, query.get("exp"), query.get("sig")):
            log.info("file link refused: bad or expired signature")
            return _refusal(403, "This link is not valid or has expired.")
        if not is_valid_key(key):
            return _refusal(404, "This file does not exist any more.")
        try:
            opened = await self._store.open_stream(key)
        except NoSuchFile:
            return _refusal(404, "This file does not exist any more.")
        except FileStoreUnavailable:
            response = _refusal(503, "The file cannot be fetched just now. Please try again.")
            response.headers["Retry-After"] = "30"
            return response
        stored = opened.stored
        response = web.StreamResponse(
            headers={
                "Content-Type": stored.content_type,
                "Content-Disposition": content_disposition(stored.filename),
                **_PRIVATE_HEADERS,
            },
        )
        response.content_length = stored.size
        async with contextlib.aclosing(opened.chunks) as chunks:
            await response.prepare(request)
            if request.method != "HEAD":
                # A store failing half-way cuts the connection: the download is incomplete,
                # never a shorter file that looks whole (Content-Length is sent first).
                async for chunk in chunks:
                    await response.write(chunk)
        await response.write_eof()
        return response


def files_routes(store: FileStore, signer: FileLinkSigner) -> list[web.RouteDef]:
    """Returns the route to add to the app: `app.add_routes(files_routes(store, signer))`."""
    endpoint = FileEndpoint(store, signer)
    return [web.get(FILES_PATH + "/{key:.+}", endpoint.handle)]


def content_disposition(filename: str) -> str:
    """Returns an attachment header with the UTF-8 name (RFC 6266) and an ASCII fallback."""
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    ascii_name = "".join(c for c in ascii_name if c.isprintable() and c not in '"\\') or "file"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


_PRIVATE_HEADERS = {
    "Cache-Control": "private, no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # the link is the credential; keep it out of Referer
}


def _refusal(status: int, reason: str) -> web.Response:
    return web.Response(status=status, text=reason, headers=_PRIVATE_HEADERS)
