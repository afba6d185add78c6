"""Downloading a Teams message's files: what is accepted, what is refused, and with which code."""

from __future__ import annotations

import hashlib
import io
import logging
import struct
import zipfile
import zlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from microsoft_agents.activity import Attachment

from bot.teams.uploads import (
    FILE_DOWNLOAD_INFO,
    TokenProvider,
    Upload,
    UploadError,
    collect_uploads,
    sniff_content_type,
)
from tests.support.file_server import FileServer

BOT_TOKEN = "synthetic-bot-token"
SAS = "synthetic-tempauth-secret"
MAX_BYTES = 256 * 1024
CHUNK = 64 * 1024


def png_bytes(width: int = 1, height: int = 1) -> bytes:
    """Returns a valid grey PNG of the given size."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


PNG = png_bytes(3, 2)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64
JPEG += b"\xff\xd9"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00;"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48


def file_attachment(url: str | None, name: str, file_type: str = "png") -> dict[str, Any]:
    """A file sent in a personal chat, as Teams delivers it (pre-authenticated downloadUrl)."""
    content: dict[str, Any] = {"uniqueId": "00000000-0000-4000-8000-0000000f11e5"}
    content["fileType"] = file_type
    if url is not None:
        content["downloadUrl"] = url
    return {
        "contentType": FILE_DOWNLOAD_INFO,
        "contentUrl": "https://contoso.example/personal/editor/Documents/" + name,
        "name": name,
        "content": content,
    }


def inline_image(url: str, content_type: str = "image/*") -> dict[str, Any]:
    """An image pasted into the message (its contentUrl needs the bot's token)."""
    return {"contentType": content_type, "contentUrl": url}


def html_copy() -> dict[str, Any]:
    """The text/html attachment Teams adds with the message's text."""
    return {"contentType": "text/html", "content": "<div><div>Här är skärmbilderna</div></div>"}


def token(value: str | None = BOT_TOKEN) -> TokenProvider:
    """A token provider that answers `value` and counts the calls."""

    async def provide() -> str | None:
        provide.calls += 1  # type: ignore[attr-defined]
        return value

    provide.calls = 0  # type: ignore[attr-defined]
    return provide


@pytest.fixture
async def server() -> AsyncIterator[FileServer]:
    """A loopback file server."""
    async with FileServer() as served:
        yield served


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """The client session the bot would pass."""
    async with aiohttp.ClientSession() as session:
        yield session


async def collect(
    http: aiohttp.ClientSession,
    attachments: list[Any] | None,
    provider: TokenProvider | None = None,
    **overrides: Any,
) -> tuple[list[Upload], list[UploadError]]:
    """Runs collect_uploads with the test defaults."""
    options: dict[str, Any] = {"max_bytes": MAX_BYTES, "timeout_seconds": 5}
    options |= {"service_url": None} | overrides
    return await collect_uploads(
        attachments, session=http, token_provider=provider or token(), **options
    )


def codes(errors: list[UploadError]) -> list[tuple[str, str]]:
    """The refusals as (code, filename)."""
    return [(error.code, error.filename) for error in errors]


# --- accepted --------------------------------------------------------------------------------


async def test_png_jpeg_and_pdf_sent_as_files_are_accepted(
    server: FileServer, http: aiohttp.ClientSession
) -> None:
    attachments = [
        file_attachment(server.serve("dl/1", PNG) + f"?tempauth={SAS}", "Startsida.png"),
        file_attachment(server.serve("dl/2", JPEG), "Inlägg åäö.jpeg", "jpeg"),
        file_attachment(server.serve("dl/3", PDF), "Profil ÅÄÖ.pdf", "pdf"),
    ]
    provider = token()

    uploads, errors = await collect(http, attachments, provider)

    assert errors == []
    assert [(u.filename, u.content_type, u.data) for u in uploads] == [
        ("Startsida.png", "image/png", PNG),
        ("Inlägg åäö.jpeg", "image/jpeg", JPEG),
        ("Profil ÅÄÖ.pdf", "application/pdf", PDF),
    ]
    for upload in uploads:
        assert upload.sha256 == hashlib.sha256(upload.data).hexdigest()
        assert upload.size == len(upload.data)
    # The downloadUrl carries its own credential: the bot's token never goes there.
    assert [r.authorization for r in server.requests] == [None, None, None]
    assert server.requests[0].query == {"tempauth": SAS}
    assert provider.calls == 0  # type: ignore[attr-defined]


async def test_r13_a_zip_export_is_accepted_only_where_archives_are_asked_for(
    server: FileServer, http: aiohttp.ClientSession
) -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("posts/posts_1.json", "[]")
    data = archive.getvalue()
    url = server.serve("dl/export", data)

    refused_uploads, refused = await collect(http, [file_attachment(url, "export.zip", "zip")])
    accepted, errors = await collect(
        http, [file_attachment(url, "instagram-export", "zip")], archives=True
    )

    assert refused_uploads == [] and codes(refused) == [("unsupported_type", "export.zip")]
    assert errors == []
    [upload] = accepted
    assert upload.content_type == "application/zip" and upload.filename == "instagram-export.zip"
    assert upload.data == data


@pytest.mark.parametrize("content_type", ["image/*", "image/png", "image/jpeg"])
async def test_pasted_images_are_downloaded_with_the_bots_token(
    server: FileServer, http: aiohttp.ClientSession, content_type: str
) -> None:
    attachments = [
        html_copy(),
        inline_image(server.serve("v3/attachments/a1/views/original", PNG, token=BOT_TOKEN)),
        inline_image(server.serve("v3/attachments/a2/views/original", JPEG, token=BOT_TOKEN)),
    ]
    attachments[1]["contentType"] = attachments[2]["contentType"] = content_type
    provider = token()

    uploads, errors = await collect(http, attachments, provider, service_url=server.base_url)

    assert errors == []
    assert [(u.filename, u.content_type) for u in uploads] == [
        ("image-1.png", "image/png"),
        ("image-2.jpg", "image/jpeg"),
    ]
    assert {r.authorization for r in server.requests} == {f"Bearer {BOT_TOKEN}"}
    assert provider.calls == 1  # type: ignore[attr-defined]


async def test_sdk_attachment_objects_are_read_like_json(
    server: FileServer, http: aiohttp.ClientSession
) -> None:
    attachments = [
        Attachment(
            content_type=FILE_DOWNLOAD_INFO,
            name="Startsida.pdf",
            content={"downloadUrl": server.serve("dl/1", PDF), "fileType": "pdf"},
        ),
        Attachment(content_type="image/*", content_url=server.serve("img", PNG, token=BOT_TOKEN)),
    ]

    uploads, errors = await collect(http, attachments, service_url=server.base_url)

    assert errors == []
    assert [u.filename for u in uploads] == ["Startsida.pdf", "image-2.png"]


async def test_a_file_at_exactly_the_limit_is_accepted(
    server: FileServer, http: aiohttp.ClientSession
) -> None:
    exact = PNG + b"\x00" * (MAX_BYTES - len(PNG))
    chunked = (PNG + b"\x00" * (CHUNK - len(PNG))) * (MAX_BYTES // CHUNK)
    attachments = [
        file_attachment(server.serve("exact", exact), "a.png"),
        file_attachment(server.serve("chunked", chunked, chunked=True), "b.png"),
    ]

    uploads, errors = await collect(http, attachments)

    assert errors == []
    assert [u.size for u in uploads] == [MAX_BYTES, MAX_BYTES]


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("../../Skärmbild åäö.png", PNG, "Skärmbild åäö.png"),
        ("C:\\Users\\redaktör\\Bild.PNG", PNG, "Bild.PNG"),
        ("foto.png", JPEG, "foto.jpg"),
        ("Startsida", PNG, "Startsida.png"),
        ("Rapport v1.2", PDF, "Rapport v1.2.pdf"),
        ("bild.gif", PNG, "bild.png"),
        ("skärm\x00bild.pdf", PDF, "skärm bild.pdf"),
    ],
    ids=["path", "windows-path", "wrong-extension", "no-extension", "dotted", "gif", "control"],
)
async def test_names_are_sanitised_and_get_the_real_types_extension(
    server: FileServer, http: aiohttp.ClientSession, name: str, data: bytes, expected: str
) -> None:
    uploads, _ = await collect(http, [file_attachment(server.serve("f", data), name)])

    assert [u.filename for u in uploads] == [expected]


def test_the_type_comes_from_the_first_bytes() -> None:
    assert sniff_content_type(PNG) == "image/png"
    assert sniff_content_type(JPEG) == "image/jpeg"
    assert sniff_content_type(PDF) == "application/pdf"
    assert sniff_content_type(GIF) is None
    assert sniff_content_type(b"\x89PNG") is None


# --- refused ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("animation.gif", GIF, "unsupported_type"),
        ("skärmbild.png", EXE, "unsupported_type"),
        ("tom.png", b"", "empty"),
        ("kort.png", b"\x89PNG", "unsupported_type"),
        ("text.pdf", b"PDF-1.4 but not quite", "unsupported_type"),
        ("bild.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "unsupported_type"),
    ],
    ids=["gif", "exe-renamed-png", "empty", "truncated-png", "not-a-pdf", "svg"],
)
async def test_other_content_is_refused_whatever_its_name(
    server: FileServer, http: aiohttp.ClientSession, name: str, data: bytes, code: str
) -> None:
    attachments = [
        file_attachment(server.serve("bad", data), name),
        file_attachment(server.serve("good", PNG), "Startsida.png"),
    ]

    uploads, errors = await collect(http, attachments)

    assert codes(errors) == [(code, name)]
    assert [u.filename for u in uploads] == ["Startsida.png"]


async def test_a_pasted_image_of_another_type_is_refused(
    server: FileServer, http: aiohttp.ClientSession
) -> None:
    attachments = [inline_image(server.serve("img", GIF, token=BOT_TOKEN), "image/gif")]

    uploads, errors = await collect(http, attachments, service_url=server.base_url)

    assert (uploads, codes(errors)) == ([], [("unsupported_type", "image-1")])


async def test_too_large_stops_the_download_without_reading_everything(
    server: FileServer, http: aiohttp.ClientSession
) -> None:
    total_chunks = 1024  # 64 MiB, far more than the limit and than the socket buffers
    body = PNG + b"\x00" * (CHUNK - len(PNG))
    url = server.serve("huge", body, chunked=True, repeat=total_chunks)

    uploads, errors = await collect(http, [file_attachment(url, "huge.png")])

    assert (uploads, codes(errors)) == ([], [("too_large", "huge.png")])
    assert server.sent("huge") < total_chunks * CHUNK // 2


async def test_too_large_by_its_content_length_is_refused_before_reading(
    server: FileServer, http: aiohttp.ClientSession
) -> None:
    one_more = PNG + b"\x00" * (MAX_BYTES + 1 - len(PNG))
    url = server.serve("big", one_more)

    uploads, errors = await collect(http, [file_attachment(url, "big.png")])

    assert (uploads, codes(errors)) == ([], [("too_large", "big.png")])


async def test_a_long_stream_of_the_wrong_type_stops_at_its_first_bytes(
    server: FileServer, http: aiohttp.ClientSession
) -> None:
    total_chunks = 1024
    url = server.serve("exe", EXE + b"\x00" * (CHUNK - len(EXE)), chunked=True, repeat=1024)

    uploads, errors = await collect(
        http, [file_attachment(url, "setup.png")], max_bytes=total_chunks * CHUNK
    )

    assert (uploads, codes(errors)) == ([], [("unsupported_type", "setup.png")])
    assert server.sent("exe") < total_chunks * CHUNK // 2


async def test_a_pasted_image_without_a_token_is_refused_by_the_server(
    server: FileServer, http: aiohttp.ClientSession
) -> None:
    url = server.serve("v3/attachments/a1/views/original", PNG, token=BOT_TOKEN)

    uploads, errors = await collect(http, [inline_image(url)], token(None))

    assert (uploads, codes(errors)) == ([], [("download_failed", "image-1")])
    assert [r.authorization for r in server.requests] == [None]


async def test_a_failing_token_service_fails_only_the_pasted_images(
    server: FileServer, http: aiohttp.ClientSession
) -> None:
    async def broken() -> str | None:
        raise RuntimeError("token service down")

    attachments = [
        inline_image(server.serve("img", PNG, token=BOT_TOKEN)),
        file_attachment(server.serve("dl", PDF), "Startsida.pdf"),
    ]

    uploads, errors = await collect(http, attachments, broken, service_url=server.base_url)

    assert codes(errors) == [("download_failed", "image-1")]
    assert [u.filename for u in uploads] == ["Startsida.pdf"]
    assert [r.path for r in server.requests] == ["/dl"]


async def test_local_mode_sends_no_authorization(
    server: FileServer, http: aiohttp.ClientSession
) -> None:
    uploads, errors = await collect(http, [inline_image(server.serve("img", PNG))], token(None))

    assert (len(uploads), errors) == (1, [])
    assert [r.authorization for r in server.requests] == [None]


@pytest.mark.parametrize("status", [404, 500, 403])
async def test_an_error_answer_is_a_download_failure(
    server: FileServer, http: aiohttp.ClientSession, status: int
) -> None:
    url = server.serve("dl", PNG, status=status)

    uploads, errors = await collect(http, [file_attachment(url, "Startsida.png")])

    assert (uploads, codes(errors)) == ([], [("download_failed", "Startsida.png")])


async def test_an_unknown_path_is_a_download_failure(
    server: FileServer, http: aiohttp.ClientSession
) -> None:
    uploads, errors = await collect(http, [file_attachment(server.url("gone"), "a.png")])

    assert (uploads, codes(errors)) == ([], [("download_failed", "a.png")])


async def test_a_slow_server_is_a_file_that_did_not_arrive_in_time(
    server: FileServer, http: aiohttp.ClientSession
) -> None:
    url = server.serve("slow", PNG, delay=10)

    uploads, errors = await collect(http, [file_attachment(url, "a.png")], timeout_seconds=0.2)

    assert (uploads, codes(errors)) == ([], [("timed_out", "a.png")])


async def test_each_file_has_its_own_timeout_and_the_others_arrive(
    server: FileServer, http: aiohttp.ClientSession
) -> None:
    """A server that never answers costs one file, not the message: the rest download beside
    it, and the answer keeps the message's order."""
    attachments = [
        file_attachment(server.serve("a", PNG), "a.png"),
        file_attachment(server.serve("never", PNG, delay=60), "never.png"),
        file_attachment(server.serve("b", JPEG), "b.jpg"),
    ]

    uploads, errors = await collect(http, attachments, timeout_seconds=0.5)

    assert [u.filename for u in uploads] == ["a.png", "b.jpg"]
    assert codes(errors) == [("timed_out", "never.png")]


async def test_a_closed_port_is_a_download_failure(http: aiohttp.ClientSession) -> None:
    async with FileServer() as gone:
        url = gone.serve("a", PNG)

    uploads, errors = await collect(http, [file_attachment(url, "a.png")])

    assert (uploads, codes(errors)) == ([], [("download_failed", "a.png")])


@pytest.mark.parametrize(
    "url",
    [
        None,
        "",
        "ftp://127.0.0.1/a.png",
        "file:///etc/passwd",
        "data:image/png;base64,iVBORw0KGgo=",
        "http:///no-host",
        "http://[::1/broken",
    ],
    ids=["missing", "empty", "ftp", "file", "data", "no-host", "bad-ipv6"],
)
async def test_only_http_urls_are_fetched(
    server: FileServer, http: aiohttp.ClientSession, url: str | None
) -> None:
    uploads, errors = await collect(http, [file_attachment(url, "a.png")])

    assert (uploads, codes(errors)) == ([], [("download_failed", "a.png")])
    assert server.requests == []


# --- ignored ---------------------------------------------------------------------------------


async def test_the_message_text_and_cards_are_ignored(
    server: FileServer, http: aiohttp.ClientSession
) -> None:
    attachments = [
        html_copy(),
        {"contentType": "application/vnd.microsoft.card.adaptive", "content": {"body": []}},
        {"contentType": "application/vnd.microsoft.card.hero", "content": {"title": "x"}},
        {"contentType": "image/png"},  # no URL: nothing to fetch
    ]
    provider = token()

    assert await collect(http, attachments, provider) == ([], [])
    assert await collect(http, None, provider) == ([], [])
    assert server.requests == []
    assert provider.calls == 0  # type: ignore[attr-defined]


# --- secrets stay out of the logs --------------------------------------------------------------


async def test_neither_tokens_nor_queries_are_logged(
    server: FileServer, http: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    attachments = [
        file_attachment(server.serve("ok", PNG) + f"?tempauth={SAS}", "ok.png"),
        file_attachment(server.serve("bad", PNG, status=500) + f"?tempauth={SAS}", "bad.png"),
        file_attachment(server.serve("gif", GIF) + f"?tempauth={SAS}", "gif.png"),
        file_attachment(server.url("gone", tempauth=SAS), "gone.png"),
        inline_image(server.serve("img", PNG, token="another-token")),
    ]

    uploads, errors = await collect(
        http, attachments, max_bytes=MAX_BYTES, service_url=server.base_url
    )

    assert len(uploads) == 1 and len(errors) == 4
    assert "127.0.0.1" in caplog.text  # the host is logged, to know where it failed
    assert SAS not in caplog.text and BOT_TOKEN not in caplog.text
    assert not any(SAS in str(error) or SAS in repr(error.args) for error in errors)


async def test_max_bytes_must_be_positive(http: aiohttp.ClientSession) -> None:
    with pytest.raises(ValueError, match="max_bytes"):
        await collect(http, [], max_bytes=0)
