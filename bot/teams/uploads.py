"""The files of a Teams message, downloaded and checked: PNG, JPEG and PDF, up to a size.

Teams delivers a file sent in a personal chat as a `file.download.info` attachment whose
`downloadUrl` is pre-authenticated (a SharePoint link with a token in its query), and an image
pasted into the message as an `image/*` attachment whose `contentUrl` needs the bot's token.
The type is decided by the first bytes, never by the name or the declared type. A download
stops as soon as it is too large or cannot be an accepted type, so nothing refused is kept.
URLs are never logged (their queries carry credentials); only the host is.

The bot's Bot Connector token goes only where Teams keeps a bot's attachments: the activity's
own `serviceUrl` (authenticated by the token's `serviceurl` claim) and the Bot Framework's hosts
(`smba.trafficmanager.net`, `*.botframework.com`), over https; see `token_may_go_to`. A pasted
image whose `contentUrl` is anywhere else is fetched without it (the Teams SDK's guide,
"Receiving inline images": `https://<service URL>/v3/attachments/{id}/views/original`; the Agents
SDK's `OutboundHostValidator` lists the same Bot Connector hosts). A file's `downloadUrl` carries
its own credential and never gets the token.
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias
from urllib.parse import urlsplit

import aiohttp
from aiohttp import hdrs
from microsoft_agents.activity import Attachment

from storage.files import safe_filename

log = logging.getLogger(__name__)

FILE_DOWNLOAD_INFO = "application/vnd.microsoft.teams.file.download.info"
UploadErrorCode = Literal["unsupported_type", "too_large", "download_failed", "timed_out", "empty"]
AttachmentLike: TypeAlias = Mapping[str, Any] | Attachment
TokenProvider: TypeAlias = Callable[[], Awaitable[str | None]]

# (first bytes, content type, extension); the extension of a name that does not fit is replaced.
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"%PDF-", "application/pdf", "pdf"),
)
# Accepted only where asked for: a platform's full export when a channel is closed (R13).
_ARCHIVE_SIGNATURES = ((b"PK\x03\x04", "application/zip", "zip"),)
_SNIFF_BYTES = max(len(magic) for magic, _, _ in _SIGNATURES + _ARCHIVE_SIGNATURES)
_EXTENSIONS = {
    "image/png": {"png"},
    "image/jpeg": {"jpg", "jpeg", "jpe", "jfif"},
    "application/pdf": {"pdf"},
    "application/zip": {"zip"},
}
_CHUNK_BYTES = 64 * 1024
# Where the Bot Connector token may go besides the activity's serviceUrl (https, port 443).
BOT_FRAMEWORK_ATTACHMENT_HOSTS = frozenset({"smba.trafficmanager.net"})
BOT_FRAMEWORK_DOMAIN = "botframework.com"  # and every host under it
# Files of one message downloaded side by side: one slow server does not hold up the others.
_PARALLEL_DOWNLOADS = 4
_IGNORED_PREFIXES = ("text/html", "application/vnd.microsoft.")  # message text, cards


@dataclass(frozen=True)
class Upload:
    """A downloaded file of an accepted type, with its checksum."""

    filename: str
    content_type: str
    data: bytes
    sha256: str  # hex
    size: int


class UploadError(Exception):
    """An attachment that was refused; `code` says why, nothing of it was kept."""

    def __init__(self, code: UploadErrorCode, filename: str) -> None:
        super().__init__(f"{code}: {filename}")
        self.code: UploadErrorCode = code
        self.filename = filename


@dataclass(frozen=True)
class _Source:
    """Where to download one attachment from, and whether the bot's token is needed."""

    url: str
    filename: str  # sanitised; a made-up one for a pasted image
    authenticated: bool


def _signatures(archives: bool) -> tuple[tuple[bytes, str, str], ...]:
    return _SIGNATURES + _ARCHIVE_SIGNATURES if archives else _SIGNATURES


def sniff_content_type(data: bytes, *, archives: bool = False) -> str | None:
    """Returns the accepted content type that the first bytes show, or None."""
    for magic, content_type, _ in _signatures(archives):
        if data.startswith(magic):
            return content_type
    return None


def file_names(attachments: Iterable[AttachmentLike] | None) -> list[str]:
    """The (sanitised) names of a message's files to download, not its HTML copy or cards."""
    return [source.filename for source in _sources(attachments or ())]


def carries_files(attachments: Iterable[AttachmentLike] | None) -> bool:
    """Tells whether a message has files to download."""
    return bool(_sources(attachments or ()))


async def collect_uploads(
    attachments: Iterable[AttachmentLike] | None,
    *,
    session: aiohttp.ClientSession,
    token_provider: TokenProvider,
    service_url: str | None,
    max_bytes: int,
    timeout_seconds: float = 20,
    archives: bool = False,
) -> tuple[list[Upload], list[UploadError]]:
    """Downloads the message's files; returns those accepted and those refused, in order.

    Each file has `timeout_seconds` to arrive (a server that never answers is a refused file,
    "download_failed"); a few download at once. `service_url` is the activity's: pasted images
    there get the bot's token (`token_may_go_to`). `archives` also accepts ZIP files (a
    platform's export, R13)."""
    if max_bytes <= 0:
        raise ValueError("max_bytes must be positive")
    sources = _sources(attachments or ())
    token = _Token(token_provider)
    gate = asyncio.Semaphore(_PARALLEL_DOWNLOADS)

    async def fetch(source: _Source) -> Upload | UploadError:
        async with gate:
            try:
                data, content_type = await _download(
                    session,
                    source,
                    token if token_may_go_to(source.url, service_url) else None,
                    max_bytes=max_bytes,
                    timeout_seconds=timeout_seconds,
                    archives=archives,
                )
            except UploadError as error:
                log.info("attachment refused (%s) from %s", error.code, _host(source.url))
                return error
        return Upload(
            filename=_named_for(source.filename, content_type),
            content_type=content_type,
            data=data,
            sha256=hashlib.sha256(data).hexdigest(),
            size=len(data),
        )

    results = await asyncio.gather(*(fetch(source) for source in sources))
    uploads = [result for result in results if isinstance(result, Upload)]
    errors = [result for result in results if isinstance(result, UploadError)]
    return uploads, errors


def _sources(attachments: Iterable[AttachmentLike]) -> list[_Source]:
    """Picks the attachments that are files; skips the message's HTML copy and cards."""
    sources: list[_Source] = []
    for attachment in attachments:
        content_type = str(_field(attachment, "contentType", "content_type") or "").lower()
        name = _field(attachment, "name", "name")
        position = len(sources) + 1
        if content_type == FILE_DOWNLOAD_INFO:
            content = _field(attachment, "content", "content")
            url = _field(content, "downloadUrl", "download_url") if content is not None else None
            default = f"file-{position}"
            authenticated = False  # the link carries its own credential; never send ours
        elif content_type.startswith(_IGNORED_PREFIXES):
            continue
        else:
            url = _field(attachment, "contentUrl", "content_url")
            if not url:
                continue
            default = (
                f"image-{position}" if content_type.startswith("image/") else f"file-{position}"
            )
            authenticated = True
        filename = safe_filename(str(name)) if name else default
        sources.append(_Source(str(url or ""), filename, authenticated))
    return sources


def _field(item: Any, camel: str, snake: str) -> Any:
    """Reads a field of a JSON dict (camelCase) or of an SDK object (snake_case)."""
    if isinstance(item, Mapping):
        return item.get(camel, item.get(snake))
    return getattr(item, snake, None)


class _Token:
    """The bot's token, asked for once and only when a download needs it."""

    def __init__(self, provider: TokenProvider) -> None:
        self._provider = provider
        self._asked = False
        self._token: str | None = None
        self._failed = False
        self._lock = asyncio.Lock()  # files download side by side; the token is asked once

    async def header(self) -> dict[str, str] | None:
        """Returns the Authorization header ({} in local mode); None if no token could be had."""
        async with self._lock:
            if not self._asked:
                try:
                    self._token = await self._provider()
                except Exception as error:  # the token service is down: no download succeeds
                    log.warning("no token for attachment downloads: %s", type(error).__name__)
                    self._failed = True
                self._asked = True
        if self._failed:
            return None
        if self._token is None:  # local mode: no credentials
            return {}
        return {hdrs.AUTHORIZATION: f"Bearer {self._token}"}


async def _download(
    session: aiohttp.ClientSession,
    source: _Source,
    token: _Token | None,
    *,
    max_bytes: int,
    timeout_seconds: float,
    archives: bool = False,
) -> tuple[bytes, str]:
    """Streams one file; stops at the first byte too many or the first that rules out a type."""
    host = _host(source.url)

    def refuse(code: UploadErrorCode) -> UploadError:
        return UploadError(code, source.filename)

    if not _is_web_url(source.url):
        raise refuse("download_failed")
    headers: dict[str, str] | None = {}
    if source.authenticated and token is not None:
        headers = await token.header()
        if headers is None:
            raise refuse("download_failed")
    elif source.authenticated:
        log.warning("fetching %s without the bot's token: not a Bot Framework host", host)
    timeout = aiohttp.ClientTimeout(total=timeout_seconds)
    data = bytearray()
    try:
        # aiohttp drops the Authorization header on a redirect to another origin.
        async with session.get(source.url, headers=headers, timeout=timeout) as response:
            if response.status != 200:
                log.warning("attachment download from %s answered %s", host, response.status)
                raise refuse("download_failed")
            if response.content_length is not None and response.content_length > max_bytes:
                response.close()
                raise refuse("too_large")
            async for chunk in response.content.iter_chunked(_CHUNK_BYTES):
                sniffing = len(data) < _SNIFF_BYTES
                data += chunk
                if len(data) > max_bytes:
                    response.close()  # drop the connection rather than read the rest
                    raise refuse("too_large")
                if sniffing and not _may_be_accepted(bytes(data[:_SNIFF_BYTES]), archives):
                    response.close()
                    raise refuse("unsupported_type")
    except TimeoutError:  # a server that never answers, or answers too slowly
        log.warning("attachment download from %s timed out after %s s", host, timeout_seconds)
        raise refuse("timed_out") from None
    except aiohttp.ClientError as error:
        # The exception's text may hold the URL and its query: log the type only.
        log.warning("attachment download from %s failed: %s", host, type(error).__name__)
        raise refuse("download_failed") from None
    if not data:
        raise refuse("empty")
    content_type = sniff_content_type(bytes(data[:_SNIFF_BYTES]), archives=archives)
    if content_type is None:
        raise refuse("unsupported_type")
    return bytes(data), content_type


def _may_be_accepted(prefix: bytes, archives: bool = False) -> bool:
    """Tells whether the first bytes seen so far can still begin an accepted type."""
    return any(
        magic[: len(prefix)] == prefix[: len(magic)] for magic, _, _ in _signatures(archives)
    )


def _is_web_url(url: str) -> bool:
    """Tells whether a URL is http(s) with a host."""
    try:
        parts = urlsplit(url)
        return parts.scheme.lower() in {"http", "https"} and bool(parts.hostname)
    except ValueError:
        return False


def token_may_go_to(url: str, service_url: str | None) -> bool:
    """Tells whether the bot's Bot Connector token may be sent to this URL.

    To the activity's serviceUrl (same scheme, host and port; plain http only on loopback, where
    the local mode and the tests run), and over https to the Bot Framework's attachment hosts.
    """
    try:
        parts = urlsplit(url)
        scheme, host, port = parts.scheme.lower(), (parts.hostname or ""), parts.port
        if service_url:
            service = urlsplit(service_url)
            same_origin = (
                scheme == service.scheme.lower()
                and host == (service.hostname or "")
                and port == service.port
            )
            if same_origin and (scheme == "https" or (scheme == "http" and _is_loopback(host))):
                return True
    except ValueError:
        return False
    if scheme != "https" or port not in (None, 443):
        return False
    return host in BOT_FRAMEWORK_ATTACHMENT_HOSTS or host.endswith("." + BOT_FRAMEWORK_DOMAIN)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _host(url: str) -> str:
    """The host of a URL, the only part of it that is safe to log."""
    try:
        return urlsplit(url).hostname or "?"
    except ValueError:
        return "?"


def _named_for(filename: str, content_type: str) -> str:
    """Gives a name the extension of its real type: replaces a short wrong one, else appends."""
    accepted = _EXTENSIONS[content_type]
    stem, dot, extension = filename.rpartition(".")
    if dot and extension.lower() in accepted:
        return filename
    wanted = next(
        ext for _, kind, ext in _SIGNATURES + _ARCHIVE_SIGNATURES if kind == content_type
    )
    if dot and stem and extension.isalpha() and len(extension) <= 4:
        filename = stem
    return safe_filename(f"{filename}.{wanted}")
