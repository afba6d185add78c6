"""R8: the public list in a real browser: headless Chromium renders it, the filter works, and a
screenshot is kept in test-artifacts/registry.png.

Chromium is Debian's `chromium`; tests/support/browser.py installs it once when it is missing
and the tests run as root with apt, and skips these tests with the reason otherwise.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from urllib.parse import urlencode

import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.db import create_engine, session_factory
from storage.migrate import upgrade_head
from tests.support.browser import (
    ARTIFACTS,
    WINDOW_SIZE,
    Chromium,
    parse_table,
    png_size,
    require_chromium,
    select_options,
)
from tests.support.registry_data import HEADINGS, INACTIVE, LEAKS, ROWS, registry_app, seed


@pytest.fixture(scope="module")
def chromium() -> Iterator[Chromium]:
    browser = Chromium(require_chromium())
    yield browser
    browser.close()


@pytest.fixture
async def site(sqlite_database_url: str) -> AsyncIterator[str]:
    """The registry routes on 127.0.0.1 with three active channels and one that is not."""
    engine = create_engine(sqlite_database_url)
    await upgrade_head(engine)
    sessions: async_sessionmaker[AsyncSession] = session_factory(engine)
    await seed(sessions)
    server = TestServer(registry_app(sessions), host="127.0.0.1")
    await server.start_server()
    yield str(server.make_url("")).rstrip("/")
    await server.close()
    await engine.dispose()


async def test_r8_the_browser_shows_exactly_the_public_fields(chromium: Chromium, site: str):
    dom = await chromium.dump_dom(f"{site}/registry")

    table = parse_table(dom)
    assert table is not None, dom[:2000]
    assert table.headings == HEADINGS
    assert table.rows == ROWS
    assert all(len(row) == len(HEADINGS) for row in table.rows)
    assert [link["rel"] for link in table.links] == ["noopener"] * len(ROWS)
    assert 'lang="sv"' in dom
    assert "3 kanaler" in dom
    assert INACTIVE not in dom
    assert [leak for leak in LEAKS if leak.casefold() in dom.casefold()] == []


async def test_r8_the_filter_shows_only_that_units_channels(chromium: Chromium, site: str):
    # What the form submits when "Åby skola" is chosen and "Visa" pressed, without JavaScript.
    query = urlencode({"unit": "Åby skola", "platform": ""})

    dom = await chromium.dump_dom(f"{site}/registry?{query}")

    table = parse_table(dom)
    assert table is not None, dom[:2000]
    assert table.rows == [row for row in ROWS if row[3] == "Åby skola"]
    assert len(table.rows) == 2
    assert table.caption == "Kanaler i sociala medier – verksamhet Åby skola"
    assert ("Åby skola", "Åby skola", True) in select_options(dom, "unit")
    assert "2 kanaler" in dom


@pytest.mark.parametrize(
    ("query", "name"),
    [("", "registry.png"), ("?platform=instagram", "registry-filtered.png")],
)
async def test_the_page_renders_a_screenshot(chromium: Chromium, site: str, query: str, name: str):
    path = await chromium.screenshot(f"{site}/registry{query}", ARTIFACTS / name)

    assert png_size(path) == WINDOW_SIZE
    assert len(path.read_bytes()) > 10_000  # a rendered page, not a blank window
