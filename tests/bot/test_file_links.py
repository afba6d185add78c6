"""Signed, expiring file links served at /files/{key}; the plan document (R5) behind one.

Every test with the `files` server runs on the local store and on Azure Blob (Azurite)."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import parse_qs, quote, urlsplit

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from docx import Document
from yarl import URL

from bot.documents.plan_docx import DOCX_CONTENT_TYPE, plan_document_view, store_plan_document
from bot.web.file_links import (
    FileLinkSigner,
    content_disposition,
    files_routes,
    signing_secret,
)
from cards.i18n import Texts
from domain.clock import FixedClock
from domain.plan import PlanSections
from storage.files import FileStore, StoredFile, new_key

SECRET = b"k" * 32
DATA = b"PK\x03\x04 en plan"
FILENAME = "Plan för sociala medier - Fritidsgården Åsen.docx"
TTL = timedelta(hours=1)
NOT_FOUND = "This file does not exist any more."


@dataclass
class FileServer:
    """Our /files route on a loopback port, with a store, a signer and a moving clock."""

    server: TestServer
    session: aiohttp.ClientSession
    store: FileStore
    signer: FileLinkSigner
    clock: FixedClock

    @property
    def base_url(self) -> str:
        return str(self.server.make_url("")).rstrip("/")

    async def get(self, url: str) -> tuple[int, bytes, aiohttp.typedefs.LooseHeaders]:
        async with self.session.get(url, allow_redirects=False) as response:
            return response.status, await response.read(), response.headers

    async def stored_plan(self) -> StoredFile:
        return await self.store.put(
            DATA, kind="plans", filename=FILENAME, content_type=DOCX_CONTENT_TYPE
        )


@pytest.fixture
async def files(file_store: FileStore, clock: FixedClock) -> AsyncIterator[FileServer]:
    store = file_store
    signer = FileLinkSigner(SECRET, clock)
    app = web.Application()
    app.add_routes(files_routes(store, signer))
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    async with aiohttp.ClientSession() as session:
        yield FileServer(server, session, store, signer, clock)
    await server.close()


def with_query(url: str, **changes: str | None) -> str:
    """Returns the link with query parameters replaced (a value of None drops it)."""
    parts = urlsplit(url)
    query = {name: values[0] for name, values in parse_qs(parts.query).items()}
    query.update(changes)
    text = "&".join(f"{name}={value}" for name, value in query.items() if value is not None)
    return parts._replace(query=text).geturl()


# --- the links ------------------------------------------------------------------------------


async def test_a_valid_link_gives_the_file_with_private_headers(files: FileServer) -> None:
    stored = await files.stored_plan()
    status, body, headers = await files.get(files.signer.url_for(files.base_url, stored.key, TTL))
    assert status == 200
    assert body == DATA
    assert headers["Content-Type"] == DOCX_CONTENT_TYPE
    assert headers["Content-Disposition"] == (
        'attachment; filename="Plan for sociala medier - Fritidsgarden Asen.docx"; '
        "filename*=UTF-8''Plan%20f%C3%B6r%20sociala%20medier%20-%20Fritidsg%C3%A5rden"
        "%20%C3%85sen.docx"
    )
    assert headers["Cache-Control"] == "private, no-store"
    assert headers["X-Content-Type-Options"] == "nosniff"


async def test_the_link_carries_the_key_expiry_and_signature(files: FileServer) -> None:
    stored = await files.stored_plan()
    url = files.signer.url_for("https://bot.example/", stored.key, TTL)
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == "https://bot.example"
    assert parts.path == "/files/" + quote(stored.key, safe="/")
    query = parse_qs(parts.query)
    assert query["exp"] == [str(int((files.clock.now() + TTL).timestamp()))]
    assert len(query["sig"][0]) == 43  # SHA-256, base64url without padding


@pytest.mark.parametrize(
    "tamper",
    [
        lambda url: with_query(url, sig="A" * 43),
        lambda url: with_query(url, sig=parse_qs(urlsplit(url).query)["sig"][0][:-1] + "x"),
        lambda url: with_query(url, sig=None),
        lambda url: with_query(url, exp=None),
        lambda url: with_query(url, exp=None, sig=None),
        lambda url: with_query(url, sig=""),
        lambda url: with_query(url, exp=str(10**11)),  # a later expiry than was signed
        lambda url: with_query(url, exp="-1"),
        lambda url: with_query(url, exp="1e99"),
        lambda url: with_query(url, sig="%C3%A5" * 20),
    ],
    ids=[
        "other-sig",
        "one-char-changed",
        "no-sig",
        "no-exp",
        "no-params",
        "empty-sig",
        "later-exp",
        "negative-exp",
        "float-exp",
        "non-ascii-sig",
    ],
)
async def test_a_wrong_or_missing_signature_is_forbidden(files: FileServer, tamper) -> None:
    stored = await files.stored_plan()
    status, body, headers = await files.get(
        tamper(files.signer.url_for(files.base_url, stored.key, TTL))
    )
    assert status == 403
    assert DATA not in body
    assert headers["Cache-Control"] == "private, no-store"


async def test_a_signature_for_another_file_is_forbidden(files: FileServer) -> None:
    mine = await files.stored_plan()
    other = await files.stored_plan()
    url = files.signer.url_for(files.base_url, mine.key, TTL)
    status, _, _ = await files.get(
        url.replace(quote(mine.key, safe="/"), quote(other.key, safe="/"))
    )
    assert status == 403


async def test_another_secret_signs_nothing_here(files: FileServer) -> None:
    stored = await files.stored_plan()
    stranger = FileLinkSigner(b"s" * 32, files.clock)
    status, _, _ = await files.get(stranger.url_for(files.base_url, stored.key, TTL))
    assert status == 403


async def test_a_link_works_until_it_expires(files: FileServer) -> None:
    stored = await files.stored_plan()
    url = files.signer.url_for(files.base_url, stored.key, TTL)
    files.clock.set(files.clock.now() + TTL - timedelta(seconds=1))
    assert (await files.get(url))[0] == 200
    files.clock.set(files.clock.now() + timedelta(seconds=1))
    assert (await files.get(url))[0] == 403
    files.clock.set(files.clock.now() + timedelta(days=30))
    assert (await files.get(url))[0] == 403


async def test_a_valid_signature_for_an_unknown_file_is_not_found(files: FileServer) -> None:
    key = new_key("plans", "plan.docx")
    status, _, headers = await files.get(files.signer.url_for(files.base_url, key, TTL))
    assert status == 404
    assert headers["Cache-Control"] == "private, no-store"


async def test_a_deleted_file_is_not_found(files: FileServer) -> None:
    stored = await files.stored_plan()
    url = files.signer.url_for(files.base_url, stored.key, TTL)
    await files.store.delete(stored.key)
    assert (await files.get(url))[0] == 404


async def test_a_signed_key_that_the_store_never_gives_is_not_found(files: FileServer) -> None:
    # Even a link we signed cannot reach outside the folder: "..", sent encoded so that no
    # client normalises it away, arrives in the key and the store's pattern refuses it.
    key = "plans/../../secret.txt"
    url = files.signer.url_for(files.base_url, key, TTL)
    url = url.replace("/plans/../../", "/plans/%2E%2E/%2E%2E/")
    async with files.session.get(URL(url, encoded=True)) as response:
        assert response.status == 404
        assert await response.text() == NOT_FOUND  # our handler's answer, not the router's
    status, body, _ = await files.get(files.signer.url_for(files.base_url, "x/y", TTL))
    assert (status, body.decode()) == (404, NOT_FOUND)


def test_a_link_needs_a_long_secret_and_a_positive_time(clock: FixedClock) -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        FileLinkSigner(b"short", clock)
    signer = FileLinkSigner(SECRET, clock)
    with pytest.raises(ValueError, match="positive"):
        signer.url_for("https://bot.example", "plans/x", timedelta(0))


def test_the_secret_comes_from_the_setting_or_is_random_in_local_mode() -> None:
    assert signing_secret("x" * 40, local_mode=False) == b"x" * 40
    first = signing_secret("", local_mode=True)
    assert len(first) == 32 and first != signing_secret("", local_mode=True)
    with pytest.raises(ValueError, match="FILES_SIGNING_KEY"):
        signing_secret("", local_mode=False)
    with pytest.raises(ValueError, match="FILES_SIGNING_KEY"):
        signing_secret("too short", local_mode=True)


@pytest.mark.parametrize(
    ("filename", "header"),
    [
        ("plan.docx", "attachment; filename=\"plan.docx\"; filename*=UTF-8''plan.docx"),
        (
            "Skärmdump (1).png",
            'attachment; filename="Skarmdump (1).png"; '
            "filename*=UTF-8''Sk%C3%A4rmdump%20%281%29.png",
        ),
    ],
)
def test_the_download_name_keeps_swedish_letters(filename: str, header: str) -> None:
    assert content_disposition(filename) == header


async def test_a_stored_plan_downloads_through_its_link(files: FileServer) -> None:
    texts = Texts("sv")
    plan = PlanSections(
        goals="Fler unga ska hitta till fritidsgården.",
        target_groups="Unga 13–19 år i Åsen.",
        content_and_rhythm="Två inlägg i veckan.",
        comment_handling="Redaktörerna svarar vardagar inom ett dygn.",
        moderation_and_crisis="Kränkande kommentarer döljs och dokumenteras.",
        evaluation_date=date(2026, 9, 1),
    )
    view = plan_document_view(
        texts,
        channel_name="Fritidsgården Åsen",
        platform="Instagram",
        unit="Fritidsgården Åsen",
        purpose_and_audience="Visa vad som händer på gården.",
        plan=plan,
        editors=("Ada Exempelsson", "Örjan Testberg"),
        manager="Chef Chefsson",
        requester="Ada Exempelsson",
        created_at="2026-03-02",
    )
    stored = await store_plan_document(files.store, view, texts)
    assert stored.key.startswith("plans/")
    assert stored.filename == "Plan för sociala medier - Fritidsgården Åsen.docx"
    assert stored.content_type == DOCX_CONTENT_TYPE
    status, body, headers = await files.get(files.signer.url_for(files.base_url, stored.key, TTL))
    assert status == 200
    assert headers["Content-Type"] == DOCX_CONTENT_TYPE
    assert "filename*=UTF-8''Plan%20f%C3%B6r%20sociala%20medier" in headers["Content-Disposition"]
    document = Document(io.BytesIO(body))
    assert document.paragraphs[0].text == "Plan för sociala medier"
    assert "Ada Exempelsson, Örjan Testberg" in [
        cell.text for cell in document.tables[0].columns[1].cells
    ]


async def test_a_large_file_is_streamed_whole_with_its_length(files: FileServer) -> None:
    data = bytes(range(256)) * (9 * 4096 + 7)  # about 9 MB: several chunks and blocks
    stored = await files.store.put(
        data, kind="packages", filename="Paket.zip", content_type="application/zip"
    )
    url = files.signer.url_for(files.base_url, stored.key, TTL)
    async with files.session.get(url) as response:
        assert response.status == 200
        assert response.headers["Content-Length"] == str(len(data))
        assert response.headers["Content-Type"] == "application/zip"
        received = bytearray()
        async for chunk in response.content.iter_chunked(1 << 20):
            received += chunk
    assert bytes(received) == data
