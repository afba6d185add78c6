"""R8 with organisations (issue 15): each organisation's public list under /registry/{slug},
filterable by administration, and /registry listing the organisations when there are several.

A small aiohttp app with only the registry routes, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer
from multidict import CIMultiDictProxy
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.web.registry_lists import UnknownAdministration, UnknownOrganisation
from bot.web.registry_page import export_registry
from domain.registry import RegistryFilter
from tests.support.browser import parse_table, select_options
from tests.support.registry_data import (
    HEADINGS,
    INACTIVE,
    LEAKS,
    ORGANISATION_ROWS,
    POLICY,
    ROWS,
    organisations_app,
    registry_app,
    seed,
    seed_organisations,
    two_organisations,
)

ORGANISATIONS = two_organisations()
EVERY_ROW = [("Göteborgs Stad", *row) for row in ORGANISATION_ROWS["goteborg"]] + [
    ("Mölndals stad", *row) for row in ORGANISATION_ROWS["molndal"]
]


@pytest.fixture
async def client(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[TestClient]:
    await seed_organisations(sessions)
    app = organisations_app(sessions, ORGANISATIONS)
    async with TestClient(TestServer(app, host="127.0.0.1")) as c:
        yield c


async def _get(client: TestClient, url: str) -> tuple[int, str, CIMultiDictProxy[str]]:
    response = await client.get(url)
    return response.status, await response.text(), response.headers


def _json_rows(body: str) -> list[tuple[str, ...]]:
    return [
        (
            c["platform_label"],
            c["name"],
            c["address"],
            c["unit"],
            c["administration"],
            c["start_date"],
        )
        for c in json.loads(body)["channels"]
    ]


def _csv_rows(body: str) -> list[list[str]]:
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:], newline=""), delimiter=";"))


# --- one organisation's list ------------------------------------------------------------------


@pytest.mark.parametrize("slug", ["goteborg", "molndal"])
async def test_r8_each_organisation_page_shows_only_its_channels(client: TestClient, slug: str):
    status, page, headers = await _get(client, f"/registry/{slug}")

    assert status == 200
    assert headers["Cache-Control"] == "public, max-age=300"
    assert "style-src 'sha256-" in headers["Content-Security-Policy"]
    table = parse_table(page)
    assert table is not None
    assert table.headings == HEADINGS
    assert table.rows == ORGANISATION_ROWS[slug]
    assert INACTIVE not in page
    assert '<a href="../registry">Alla organisationers listor</a>' in page
    assert f'href="{slug}.csv"' in page and f'href="{slug}.json"' in page


async def test_the_page_names_its_organisation_and_its_mailbox(client: TestClient):
    _, goteborg, _ = await _get(client, "/registry/goteborg")
    _, molndal, _ = await _get(client, "/registry/molndal")

    assert "<h1>Kanaler i sociala medier – Göteborgs Stad</h1>" in goteborg
    assert "som Göteborgs Stad ansvarar för" in goteborg
    assert "mailto:sociala.medier@goteborg.example" in goteborg
    assert "som Kommunstyrelseförvaltningen ansvarar för" in molndal
    assert "mailto:kommunikation@molndal.example" in molndal


@pytest.mark.parametrize("slug", ["goteborg", "molndal"])
@pytest.mark.parametrize("fmt", ["json", "csv"])
async def test_r8_each_organisation_file_holds_only_its_channels(
    client: TestClient, slug: str, fmt: str
):
    status, body, headers = await _get(client, f"/registry/{slug}.{fmt}")

    assert status == 200
    assert headers["Access-Control-Allow-Origin"] == "*"
    if fmt == "json":
        assert _json_rows(body) == ORGANISATION_ROWS[slug]
    else:
        rows = _csv_rows(body)
        assert rows[0] == [heading for heading, _ in HEADINGS]
        assert [tuple(row) for row in rows[1:]] == ORGANISATION_ROWS[slug]


async def test_the_administration_filter_is_a_select_of_the_organisations_administrations(
    client: TestClient,
):
    _, page, _ = await _get(client, "/registry/goteborg")
    _, single, _ = await _get(client, "/registry/molndal")

    assert '<label for="administration">Förvaltning</label>' in page
    assert select_options(page, "administration") == [
        ("", "Alla förvaltningar", True),
        ("kultur", "Kulturförvaltningen", False),
        ("sof", "Skol- och fritidsförvaltningen", False),
    ]
    assert select_options(page, "unit") == [
        ("", "Alla verksamheter", True),
        ("Stadsbiblioteket", "Stadsbiblioteket", False),
        ("Östra fritidsgården Ugglan", "Östra fritidsgården Ugglan", False),
    ]
    # One administration: nothing to choose.
    assert 'name="administration"' not in single


async def test_r8_the_administration_filter_narrows_page_and_files(client: TestClient):
    status, page, _ = await _get(client, "/registry/goteborg?administration=sof")

    table = parse_table(page)
    assert status == 200 and table is not None
    assert table.rows == ORGANISATION_ROWS["goteborg"][1:]
    assert table.caption == (
        "Kanaler i sociala medier – förvaltning Skol- och fritidsförvaltningen"
    )
    assert ("sof", "Skol- och fritidsförvaltningen", True) in select_options(
        page, "administration"
    )
    assert "som Skol- och fritidsförvaltningen ansvarar för" in page
    assert "mailto:sof.kanaler@goteborg.example" in page
    assert '<a href="goteborg">Visa alla kanaler</a>' in page
    assert 'href="goteborg.csv?administration=sof"' in page

    _, body, _ = await _get(client, "/registry/goteborg.json?administration=kultur")
    assert _json_rows(body) == ORGANISATION_ROWS["goteborg"][:1]
    _, body, _ = await _get(
        client, "/registry/goteborg.csv?administration=sof&unit=Stadsbiblioteket"
    )
    assert _csv_rows(body)[1:] == []


@pytest.mark.parametrize(
    "path", ["/registry/goteborg", "/registry/goteborg.json", "/registry/goteborg.csv"]
)
@pytest.mark.parametrize(
    "query", ["administration=finns-inte", "administration=a&administration=b"]
)
async def test_an_unknown_administration_is_a_bad_request(
    client: TestClient, path: str, query: str
):
    status, body, headers = await _get(client, f"{path}?{query}")

    assert status == 400
    assert "Cache-Control" not in headers
    if path.endswith(".json"):
        assert "error" in json.loads(body)
    elif not path.endswith(".csv"):
        assert "Det urvalet kan inte visas." in body
        assert '<a href="goteborg">Till hela listan</a>' in body


@pytest.mark.parametrize(
    "path", ["/registry/nowhere", "/registry/nowhere.json", "/registry/nowhere.csv"]
)
async def test_an_unknown_organisation_is_not_found_in_the_catalogs_words(
    client: TestClient, path: str
):
    status, body, headers = await _get(client, path)

    assert status == 404
    assert "Cache-Control" not in headers
    if path.endswith(".json"):
        assert json.loads(body) == {"error": "Det finns ingen lista på den här adressen."}
    else:
        assert "Det finns ingen lista på den här adressen." in body
    if path == "/registry/nowhere":
        assert headers["Content-Type"] == "text/html; charset=utf-8"
        assert '<a href="../registry">Till hela listan</a>' in body


async def test_organisation_answers_have_an_etag_and_answer_304(client: TestClient):
    for path in ("/registry/goteborg", "/registry/goteborg.json?administration=sof"):
        _, _, headers = await _get(client, path)
        response = await client.get(path, headers={"If-None-Match": headers["ETag"]})
        assert response.status == 304
    _, _, sof = await _get(client, "/registry/goteborg.json?administration=sof")
    _, _, kultur = await _get(client, "/registry/goteborg.json?administration=kultur")
    assert sof["ETag"] != kultur["ETag"]


# --- /registry with several organisations -----------------------------------------------------


async def test_registry_lists_the_organisations_with_their_public_channels(client: TestClient):
    status, page, headers = await _get(client, "/registry")

    assert status == 200
    assert headers["Cache-Control"] == "public, max-age=300"
    assert "<script" not in page
    table = parse_table(page)
    assert table is not None
    assert table.caption == "Organisationer"
    assert table.headings == [("Organisation", "col"), ("Antal kanaler", "col")]
    assert table.rows == [("Göteborgs Stad", "2"), ("Mölndals stad", "1")]
    assert [link["href"] for link in table.links] == ["registry/goteborg", "registry/molndal"]
    assert 'href="registry.csv"' in page and 'href="registry.json"' in page


async def test_r8_registry_files_hold_every_organisation_with_an_organisation_column(
    client: TestClient,
):
    _, body, _ = await _get(client, "/registry.json")
    document = json.loads(body)
    assert document["count"] == 3
    assert document["organisations"] == [
        {"slug": "goteborg", "name": "Göteborgs Stad", "count": 2},
        {"slug": "molndal", "name": "Mölndals stad", "count": 1},
    ]
    assert [(c["organisation"], c["organisation_name"]) for c in document["channels"]] == [
        ("goteborg", "Göteborgs Stad"),
        ("goteborg", "Göteborgs Stad"),
        ("molndal", "Mölndals stad"),
    ]
    assert [row[1:] for row in EVERY_ROW] == _json_rows(body)

    _, body, headers = await _get(client, "/registry.csv")
    rows = _csv_rows(body)
    assert rows[0] == ["Organisation", *(heading for heading, _ in HEADINGS)]
    assert [tuple(row) for row in rows[1:]] == EVERY_ROW
    assert headers["Content-Disposition"] == 'attachment; filename="kanaler-i-sociala-medier.csv"'

    _, body, _ = await _get(client, "/registry.json?platform=facebook")
    assert [c["name"] for c in json.loads(body)["channels"]] == ["Stadsbiblioteket"]


@pytest.mark.parametrize("path", ["/registry.json", "/registry.csv"])
async def test_an_administration_filter_over_every_organisation_is_a_bad_request(
    client: TestClient, path: str
):
    status, _, _ = await _get(client, f"{path}?administration=sof")

    assert status == 400


@pytest.mark.parametrize(
    "path",
    [
        "/registry",
        "/registry.json",
        "/registry.csv",
        "/registry/goteborg",
        "/registry/goteborg.json?administration=sof",
        "/registry/molndal.csv",
    ],
)
async def test_r8_no_organisation_list_leaks(client: TestClient, path: str):
    _, body, _ = await _get(client, path)

    assert [leak for leak in LEAKS if leak.casefold() in body.casefold()] == []
    assert INACTIVE not in body


# --- one organisation: /registry as before ----------------------------------------------------


async def test_one_organisation_registry_is_the_list_as_before(
    sessions: async_sessionmaker[AsyncSession],
):
    await seed(sessions)

    async with TestClient(TestServer(registry_app(sessions), host="127.0.0.1")) as client:
        _, page, _ = await _get(client, "/registry")
        _, under_slug, _ = await _get(client, "/registry/default")
        _, document, _ = await _get(client, "/registry.json")

    table = parse_table(page)
    assert table is not None and table.rows == ROWS
    assert "<h1>Kanaler i sociala medier</h1>" in page
    assert 'name="administration"' not in page and "../registry" not in page
    assert "organisations" not in json.loads(document)
    slug_table = parse_table(under_slug)
    assert slug_table is not None and slug_table.rows == ROWS


# --- export -----------------------------------------------------------------------------------


async def test_export_per_organisation_is_the_file_its_page_serves(
    client: TestClient, sessions: async_sessionmaker[AsyncSession]
):
    for slug, query, wanted in (
        ("goteborg", "", None),
        ("goteborg", "?administration=kultur", RegistryFilter(administration="kultur")),
        ("molndal", "", None),
    ):
        for fmt in ("json", "csv"):
            _, served, _ = await _get(client, f"/registry/{slug}.{fmt}{query}")
            exported = await export_registry(
                sessions, POLICY, fmt, wanted, organisations=ORGANISATIONS, organisation=slug
            )
            assert exported == served, (slug, query, fmt)
    _, every, _ = await _get(client, "/registry.json")
    assert await export_registry(sessions, POLICY, "json", organisations=ORGANISATIONS) == every


async def test_export_refuses_unknown_slugs(sessions: async_sessionmaker[AsyncSession]):
    with pytest.raises(UnknownOrganisation, match="'nowhere'"):
        await export_registry(
            sessions, POLICY, "csv", organisations=ORGANISATIONS, organisation="nowhere"
        )
    with pytest.raises(UnknownAdministration, match="no administration 'sof'"):
        await export_registry(
            sessions,
            POLICY,
            "csv",
            RegistryFilter(administration="sof"),
            organisations=ORGANISATIONS,
            organisation="molndal",
        )
    with pytest.raises(UnknownOrganisation, match="several organisations"):
        await export_registry(
            sessions,
            POLICY,
            "csv",
            RegistryFilter(administration="sof"),
            organisations=ORGANISATIONS,
        )
