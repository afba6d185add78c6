"""Shared fixtures: databases (SQLite and PostgreSQL), the connector emulator, a running bot."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.app import DELIVERY, ENDPOINT, SESSIONS, create_app
from bot.settings import Settings
from domain.clock import FixedClock
from storage.db import create_engine, session_factory
from storage.migrate import upgrade_head
from tests.support.connector_emulator import ConnectorEmulator
from tests.support.database import (
    POSTGRES_SKIP_REASON,
    PostgresDropper,
    copy_sqlite_template,
    drop_postgres_now,
    fresh_postgres,
    make_postgres_template,
    make_sqlite_template,
    postgres_admin_url,
    sqlite_url,
)
from tests.support.teams_client import TeamsClient

# The file stores (local and Azure Blob on Azurite) for the contract and multi-instance tests.
pytest_plugins = ["tests.support.azurite_fixtures"]

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
# Tests of the migrations themselves start on an empty database: `pytestmark = ...` in them.
EMPTY_DATABASE_MARKER = "empty_database"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once per test process; tests start on copies of it."""
    return make_sqlite_template(tmp_path_factory.mktemp("template"))


@pytest.fixture(scope="session")
def postgres_dropper() -> Iterator[PostgresDropper]:
    """Drops the tests' PostgreSQL databases in the background; all are gone at the end."""
    dropper = PostgresDropper()
    yield dropper
    dropper.close()


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """A PostgreSQL database migrated once per test process, the template of the tests' ones."""
    admin = postgres_admin_url()
    if admin is None:
        pytest.skip(POSTGRES_SKIP_REASON)
    name = make_postgres_template(admin)
    yield name
    drop_postgres_now(admin, name)


def _wants_empty(request: pytest.FixtureRequest) -> bool:
    return request.node.get_closest_marker(EMPTY_DATABASE_MARKER) is not None


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> AsyncIterator[str]:
    """A database at the newest revision: SQLite always, PostgreSQL when
    KANALKOLLEN_TEST_DATABASE_URL is set. A test marked `empty_database` gets an empty one."""
    empty = _wants_empty(request)
    if request.param == "sqlite":
        yield sqlite_url(tmp_path) if empty else copy_sqlite_template(sqlite_template, tmp_path)
        return
    admin = postgres_admin_url()
    if admin is None:
        pytest.skip(POSTGRES_SKIP_REASON)
    template = None if empty else request.getfixturevalue("postgres_template")
    dropper = request.getfixturevalue("postgres_dropper")
    async with fresh_postgres(admin, template, dropper) as url:
        yield url


@pytest.fixture
def sqlite_database_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> str:
    """A SQLite database at the newest revision, for tests that are not about the backend
    (empty when the test is marked `empty_database`)."""
    if _wants_empty(request):
        return sqlite_url(tmp_path)
    return copy_sqlite_template(sqlite_template, tmp_path)


@pytest.fixture
def bot_database_url(sqlite_database_url: str) -> str:
    """The database the started bots use; a module may override it with `database_url`."""
    return sqlite_database_url


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """A migrated engine on the parametrised database (migrating a copy of the template is a
    no-op; an `empty_database` one is migrated here)."""
    engine = create_engine(database_url)
    await upgrade_head(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """The session factory of the migrated test database."""
    return session_factory(engine)


@pytest.fixture
def clock() -> FixedClock:
    """A clock that stands still at a Monday morning until a test moves it."""
    return FixedClock(START)


@pytest.fixture
async def emulator() -> AsyncIterator[ConnectorEmulator]:
    """Our Teams / Bot Connector emulator on a loopback port."""
    async with ConnectorEmulator() as emu:
        yield emu


@dataclass
class RunningBot:
    """A bot served by the real create_app on a loopback port."""

    app: web.Application
    server: TestServer
    client: TeamsClient
    settings: Settings
    clock: FixedClock
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def url(self) -> str:
        """The base URL, e.g. http://127.0.0.1:PORT."""
        return str(self.server.make_url("")).rstrip("/")

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        """The running app's session factory."""
        return self.app[SESSIONS]

    async def post(
        self, activity: dict[str, Any] | None = None, *, settle: bool = True, **kwargs: Any
    ) -> tuple[int, Any]:
        """POSTs an activity to /api/messages as the Bot Connector would.

        A message with files is acknowledged before its turn runs; unless `settle` is False,
        this waits until the turns acknowledged so far have run, as a person waits for replies.
        """
        answer = await self.client.post(activity, **kwargs)
        if settle and ENDPOINT in self.app:
            await self.app[ENDPOINT].settle()
        return answer

    async def settle(self) -> None:
        """Waits until the acknowledged turns with files have run."""
        await self.app[ENDPOINT].settle()

    async def deliver(self) -> int:
        """Runs the delivery loop once more, right now."""
        return await self.app[DELIVERY].drain()

    async def stop(self) -> None:
        """Stops the server and closes the app's resources."""
        await self.client.close()
        await self.server.close()


BotFactory = Callable[..., Awaitable[RunningBot]]


@pytest.fixture
async def start_bot(
    bot_database_url: str, clock: FixedClock, tmp_path: Path, emulator: ConnectorEmulator
) -> AsyncIterator[BotFactory]:
    """Starts bots with create_app on loopback; all are stopped at the end of the test.

    It depends on the emulator so that the emulator outlives the bots' delivery loops.
    """
    running: list[RunningBot] = []

    async def start(settings: Settings | None = None, **app_kwargs: Any) -> RunningBot:
        base = Settings(database_url=bot_database_url, files_dir=tmp_path / "files")
        chosen = settings or base
        if settings is not None and settings.database_url == Settings().database_url:
            chosen = replace(settings, database_url=bot_database_url)
        # A known port, so that links the bot makes (file links) point at this server.
        chosen = replace(chosen, port=_free_port())
        app = create_app(chosen, clock=app_kwargs.pop("clock", clock), **app_kwargs)
        server = TestServer(app, host="127.0.0.1", port=chosen.port)
        await server.start_server()
        client = TeamsClient(str(server.make_url("")).rstrip("/"))
        bot = RunningBot(app, server, client, chosen, clock)
        running.append(bot)
        return bot

    yield start
    for bot in reversed(running):
        await bot.stop()
