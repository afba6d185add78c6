"""R8: the public list of channels over HTTP (/registry, .json, .csv) and `registry export`.

A small aiohttp app with only the registry routes, on a migrated SQLite database.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from multidict import CIMultiDictProxy
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.web.registry_page import export_registry, registry_routes
from domain.registry import RegistryFilter
from storage.db import create_engine, session_factory
from storage.migrate import upgrade_head
from tests.support.browser import parse_table, select_options
from tests.support.registry_data import (
    HEADINGS,
    INACTIVE,
    LEAKS,
    POLICY,
    ROWS,
    add_channel,
    registry_app,
    seed,
)


@pytest.fixture
async def registry_sessions(
    sqlite_database_url: str,
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(sqlite_database_url)
    await upgrade_head(engine)
    yield session_factory(engine)
    await engine.dispose()


@pytest.fixture
async def client(registry_sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(registry_app(registry_sessions), host="127.0.0.1")) as c:
        yield c


@pytest.fixture
async def seeded(
    client: TestClient, registry_sessions: async_sessionmaker[AsyncSession]
) -> TestClient:
    await seed(registry_sessions)
    return client


async def _text(client: TestClient, url: str) -> tuple[int, str, CIMultiDictProxy[str]]:
    response = await client.get(url)
    return response.status, await response.text(), response.headers


def _csv_rows(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:], newline=""), delimiter=";"))


# --- the page ---------------------------------------------------------------------------------


async def test_r8_the_page_is_a_swedish_table_of_the_public_fields(seeded: TestClient):
    status, page, headers = await _text(seeded, "/registry")

    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert page.startswith('<!doctype html>\n<html lang="sv">')
    table = parse_table(page)
    assert table is not None
    assert table.caption == "Kanaler i sociala medier"
    assert table.headings == HEADINGS
    assert table.rows == ROWS
    assert '<p class="count" id="count">3 kanaler</p>' in page
    assert INACTIVE not in page


async def test_the_page_links_each_address_with_noopener(seeded: TestClient):
    _, page, _ = await _text(seeded, "/registry")

    table = parse_table(page)
    assert table is not None
    assert [(link["href"], link["rel"]) for link in table.links] == [
        (row[2], "noopener") for row in ROWS
    ]


async def test_the_filter_is_a_get_form_with_labelled_selects_from_the_data(seeded: TestClient):
    _, page, _ = await _text(seeded, "/registry")

    assert '<form method="get"' in page
    assert '<label for="unit">Verksamhet</label>' in page
    assert '<label for="platform">Plattform</label>' in page
    assert '<button type="submit">Visa</button>' in page
    assert select_options(page, "unit") == [
        ("", "Alla verksamheter", True),
        ("Åby skola", "Åby skola", False),
        ("Östra fritidsgården Ugglan", "Östra fritidsgården Ugglan", False),
    ]
    assert select_options(page, "platform") == [
        ("", "Alla plattformar", True),
        ("facebook", "Facebook", False),
        ("instagram", "Instagram", False),
    ]
    assert "<script" not in page  # works without JavaScript: there is none


async def test_the_page_has_contrast_focus_and_a_strict_content_security_policy(
    seeded: TestClient,
):
    _, page, headers = await _text(seeded, "/registry")

    assert "color:#1b1b1b;background:#fff" in page
    assert re.search(r":focus-visible[^}]*\{\s*outline:3px solid #1b1b1b", page)
    policy = headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "style-src 'sha256-" in policy
    assert "script-src" not in policy
    assert headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("query", "rows", "caption"),
    [
        ("unit=%C3%85by+skola", ROWS[:2], "Kanaler i sociala medier – verksamhet Åby skola"),
        ("platform=instagram", ROWS[1:], "Kanaler i sociala medier – plattform Instagram"),
        (
            "unit=%C3%85by+skola&platform=facebook",
            ROWS[:1],
            "Kanaler i sociala medier – verksamhet Åby skola, plattform Facebook",
        ),
        ("unit=&platform=", ROWS, "Kanaler i sociala medier"),
        ("utm_source=nyhetsbrev", ROWS, "Kanaler i sociala medier"),
    ],
)
async def test_r8_the_filter_narrows_the_table(
    seeded: TestClient, query: str, rows: list[tuple[str, ...]], caption: str
):
    status, page, _ = await _text(seeded, f"/registry?{query}")

    table = parse_table(page)
    assert status == 200 and table is not None
    assert table.rows == rows
    assert table.caption == caption


async def test_a_filtered_page_keeps_the_choice_and_offers_all_channels(seeded: TestClient):
    _, page, _ = await _text(seeded, "/registry?platform=facebook")

    assert ("facebook", "Facebook", True) in select_options(page, "platform")
    assert '<a href="registry">Visa alla kanaler</a>' in page
    assert 'href="registry.csv?platform=facebook"' in page
    assert '<p class="count" id="count">1 kanal</p>' in page


async def test_an_unknown_filter_value_is_an_empty_list_not_an_error(seeded: TestClient):
    status, page, _ = await _text(seeded, "/registry?unit=Finns+inte&platform=myspace")

    assert status == 200
    assert parse_table(page) is None
    assert "Inga kanaler passar ditt val." in page
    assert '<p class="count" id="count">Inga kanaler</p>' in page
    assert ("Finns inte", "Finns inte", True) in select_options(page, "unit")
    assert ("myspace", "myspace", True) in select_options(page, "platform")


async def test_the_empty_list_says_so(client: TestClient):
    status, page, _ = await _text(client, "/registry")

    assert status == 200
    assert parse_table(page) is None
    assert "Det finns inga aktiva kanaler i listan än." in page
    assert select_options(page, "unit") == [("", "Alla verksamheter", True)]


@pytest.mark.parametrize(
    "query",
    [
        "unit=a&unit=b",
        "platform=" + "x" * 33,
        "unit=" + "%C3%85" * 121,
        "unit=%00",
        "unit=%FF",
        "q=" + "x" * 3000,
    ],
    ids=["repeated", "long-platform", "long-unit", "nul", "not-utf8", "huge"],
)
@pytest.mark.parametrize("path", ["/registry", "/registry.json", "/registry.csv"])
async def test_a_query_no_form_sends_is_a_bad_request(client: TestClient, path: str, query: str):
    status, body, headers = await _text(client, f"{path}?{query}")

    assert status == 400
    assert "Cache-Control" not in headers
    if path == "/registry":
        assert "Det urvalet kan inte visas." in body
    if path == "/registry.json":
        assert "error" in json.loads(body)


async def test_names_and_addresses_are_escaped_and_only_web_addresses_are_links(
    client: TestClient, registry_sessions: async_sessionmaker[AsyncSession]
):
    await add_channel(
        registry_sessions,
        "<script>alert('x')</script>",
        unit='Enhet "<b>"',
        address="javascript:alert(1)",
    )

    _, page, _ = await _text(client, "/registry")

    assert "<script>" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert 'href="javascript' not in page
    table = parse_table(page)
    assert table is not None and table.links == []
    assert table.rows[0][1:4] == (
        "<script>alert('x')</script>",
        "javascript:alert(1)",
        'Enhet "<b>"',
    )


async def test_a_channel_without_address_or_start_date_says_not_given(
    client: TestClient, registry_sessions: async_sessionmaker[AsyncSession]
):
    await add_channel(registry_sessions, address=None, start_date=None)

    _, page, _ = await _text(client, "/registry")

    table = parse_table(page)
    assert table is not None
    assert table.rows[0][2] == table.rows[0][5] == "Uppgift saknas"


# --- JSON and CSV -----------------------------------------------------------------------------


async def test_r8_json_has_the_public_fields_in_registry_order(seeded: TestClient):
    status, body, headers = await _text(seeded, "/registry.json")

    assert status == 200
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert headers["Access-Control-Allow-Origin"] == "*"
    document = json.loads(body)
    assert document["count"] == 3
    assert [
        (
            c["platform_label"],
            c["name"],
            c["address"],
            c["unit"],
            c["administration"],
            c["start_date"],
        )
        for c in document["channels"]
    ] == ROWS
    assert {key for c in document["channels"] for key in c} == {
        "platform",
        "platform_label",
        "name",
        "address",
        "unit",
        "administration",
        "start_date",
    }


async def test_r8_csv_opens_in_swedish_excel(seeded: TestClient):
    response = await seeded.get("/registry.csv")
    raw = await response.read()

    assert response.status == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="kanaler-i-sociala-medier.csv"'
    )
    assert raw.startswith(b"\xef\xbb\xbfPlattform;Kanalens namn;Adress;Verksamhet;")
    rows = _csv_rows(raw.decode("utf-8"))
    assert rows[0] == [heading for heading, _ in HEADINGS]
    assert [tuple(row) for row in rows[1:]] == ROWS


@pytest.mark.parametrize("path", ["/registry.json", "/registry.csv"])
async def test_files_take_the_same_filter(seeded: TestClient, path: str):
    _, body, _ = await _text(seeded, f"{path}?unit=%C3%85by+skola&platform=instagram")

    if path.endswith(".json"):
        names = [c["name"] for c in json.loads(body)["channels"]]
    else:
        names = [row[1] for row in _csv_rows(body)[1:]]
    assert names == [ROWS[1][1]]
    status, empty, _ = await _text(seeded, f"{path}?unit=Finns+inte")
    assert status == 200
    if path.endswith(".json"):
        assert json.loads(empty) == {"count": 0, "channels": []}
    else:
        assert _csv_rows(empty) == [[heading for heading, _ in HEADINGS]]


# --- no leaks ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/registry",
        "/registry?unit=%C3%85by+skola",
        "/registry.json",
        "/registry.csv",
        "/registry?unit=Finns+inte",
    ],
)
async def test_r8_nothing_but_the_public_fields_leaves(seeded: TestClient, path: str):
    _, body, headers = await _text(seeded, path)

    found = [leak for leak in LEAKS if leak.casefold() in body.casefold()]
    assert found == []
    assert INACTIVE not in body
    assert not any(leak in value for leak in LEAKS for value in headers.values())


async def test_r8_the_export_leaks_nothing_either(
    seeded: TestClient, registry_sessions: async_sessionmaker[AsyncSession]
):
    for fmt in ("csv", "json"):
        text = await export_registry(registry_sessions, POLICY, fmt)
        assert [leak for leak in LEAKS if leak.casefold() in text.casefold()] == []
        assert INACTIVE not in text


# --- caching ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/registry", "/registry.json", "/registry.csv"])
async def test_answers_are_cached_for_five_minutes_with_an_etag(seeded: TestClient, path: str):
    status, body, headers = await _text(seeded, path)
    etag = headers["ETag"]

    assert status == 200
    assert headers["Cache-Control"] == "public, max-age=300"
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)

    for if_none_match in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        response = await seeded.get(path, headers={"If-None-Match": if_none_match})
        assert response.status == 304, if_none_match
        assert await response.read() == b""
        assert response.headers["ETag"] == etag
        assert response.headers["Cache-Control"] == "public, max-age=300"

    other = await seeded.get(path, headers={"If-None-Match": '"0123"'})
    assert other.status == 200
    assert await other.text() == body


async def test_the_etag_changes_with_the_list_and_with_the_filter(
    seeded: TestClient, registry_sessions: async_sessionmaker[AsyncSession]
):
    _, _, before = await _text(seeded, "/registry.json")
    _, _, filtered = await _text(seeded, "/registry.json?platform=facebook")
    await add_channel(registry_sessions, "Ny kanal", unit="Bäckens förskola")
    response = await seeded.get("/registry.json", headers={"If-None-Match": before["ETag"]})

    assert filtered["ETag"] != before["ETag"]
    assert response.status == 200
    assert response.headers["ETag"] != before["ETag"]


async def test_head_gives_the_headers(seeded: TestClient):
    response = await seeded.head("/registry.csv")

    assert response.status == 200
    assert response.headers["ETag"]


# --- export ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "json"])
async def test_export_is_the_same_file_the_page_serves(
    seeded: TestClient, registry_sessions: async_sessionmaker[AsyncSession], fmt: str
):
    _, served, _ = await _text(seeded, f"/registry.{fmt}")

    assert await export_registry(registry_sessions, POLICY, fmt) == served


async def test_export_takes_a_filter_and_refuses_unknown_formats(
    seeded: TestClient, registry_sessions: async_sessionmaker[AsyncSession]
):
    text = await export_registry(
        registry_sessions, POLICY, "json", RegistryFilter(platform="facebook")
    )

    assert [c["name"] for c in json.loads(text)["channels"]] == [ROWS[0][1]]
    with pytest.raises(ValueError, match="unknown registry format"):
        await export_registry(registry_sessions, POLICY, "xlsx")


async def test_the_routes_accept_a_session_factory_directly(
    registry_sessions: async_sessionmaker[AsyncSession],
):
    await seed(registry_sessions)
    app = web.Application()
    app.add_routes(registry_routes(registry_sessions, POLICY))

    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        response = await client.get("/registry.json")
        assert (await response.json())["count"] == 3
