"""Fixtures for the file stores: Azurite for the session, and a store of each kind per test.

Registered in tests/conftest.py (`pytest_plugins`). `file_store` runs a test once on the local
folder and once on Azure Blob Storage (Azurite), each in a fresh folder or container.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from storage.file_store_azure import AzureBlobFileStore
from storage.files import FileStore, LocalFileStore
from tests.support.azurite import Azurite, azurite_missing, running_azurite

STORES = ["local", "azure-blob"]


@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Azurite]:
    """Azurite's blob service for the whole session, or a skip naming what is missing."""
    missing = azurite_missing()
    if missing is not None:
        pytest.skip(missing)
    with running_azurite(tmp_path_factory.mktemp("azurite")) as running:
        yield running


def new_container() -> str:
    """A container name of its own for one test (lower case letters, digits, dashes)."""
    return f"kk-{uuid.uuid4().hex[:20]}"


def azure_store(connection: str, container: str, **options: float) -> AzureBlobFileStore:
    """A store on Azurite with short time-outs and one retry, so that faults show quickly."""
    return AzureBlobFileStore.connect(
        container=container,
        connection_string=connection,
        timeout_seconds=float(options.get("timeout_seconds", 5.0)),
        retries=int(options.get("retries", 1)),
    )


@pytest.fixture(params=STORES)
async def file_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[FileStore]:
    """A fresh, empty store of each kind."""
    if request.param == "local":
        yield LocalFileStore(tmp_path / "files")
        return
    running: Azurite = request.getfixturevalue("azurite")
    store = azure_store(running.connection_string, new_container())
    try:
        yield store
    finally:
        await store.close()
