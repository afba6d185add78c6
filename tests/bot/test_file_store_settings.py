"""FILE_STORE and AZURE_STORAGE_*: the local folder by default, one Azure container when set."""

from __future__ import annotations

import pytest

from bot.assembly import file_store_for
from bot.settings import SettingsError, settings_from
from storage.file_store_azure import AzureBlobFileStore
from storage.files import LocalFileStore
from tests.support.azurite import connection_string


def test_the_local_folder_is_the_default() -> None:
    settings = settings_from({})
    assert settings.file_store == "local"
    assert isinstance(file_store_for(settings), LocalFileStore)


async def test_azure_blob_with_a_connection_string() -> None:
    settings = settings_from(
        {
            "FILE_STORE": "azure-blob",
            "AZURE_STORAGE_CONNECTION_STRING": connection_string("127.0.0.1", 10000),
            "AZURE_STORAGE_CONTAINER": "kanalkollen-files",
        }
    )
    assert settings.azure_storage_container == "kanalkollen-files"
    assert "AccountKey" not in repr(settings)  # never in a log
    store = file_store_for(settings)
    assert isinstance(store, AzureBlobFileStore)
    await store.close()


async def test_azure_blob_with_managed_identity() -> None:
    settings = settings_from(
        {
            "FILE_STORE": "Azure-Blob",
            "AZURE_STORAGE_ACCOUNT_URL": "https://kanalkollen.blob.core.windows.net/",
        }
    )
    assert settings.file_store == "azure-blob"
    assert settings.azure_storage_account_url == "https://kanalkollen.blob.core.windows.net"
    assert settings.azure_storage_container == "kanalkollen"
    store = file_store_for(settings)
    assert isinstance(store, AzureBlobFileStore)
    await store.close()


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"FILE_STORE": "s3"}, "FILE_STORE"),
        ({"FILE_STORE": "azure-blob"}, "AZURE_STORAGE_ACCOUNT_URL"),
        (
            {
                "FILE_STORE": "azure-blob",
                "AZURE_STORAGE_ACCOUNT_URL": "https://a.blob.core.windows.net",
                "AZURE_STORAGE_CONNECTION_STRING": "UseDevelopmentStorage=true",
            },
            "not both",
        ),
        (
            {"FILE_STORE": "azure-blob", "AZURE_STORAGE_ACCOUNT_URL": "http://a.example"},
            "https",
        ),
        ({"AZURE_STORAGE_CONTAINER": "Kanal_Kollen"}, "AZURE_STORAGE_CONTAINER"),
        ({"AZURE_STORAGE_CONTAINER": "a--b"}, "AZURE_STORAGE_CONTAINER"),
        ({"AZURE_STORAGE_RETRIES": "many"}, "AZURE_STORAGE_RETRIES"),
        ({"AZURE_STORAGE_TIMEOUT_SECONDS": "0"}, "AZURE_STORAGE_TIMEOUT_SECONDS"),
    ],
)
def test_a_wrong_file_store_setting_stops_start_up(values: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError, match=named):
        settings_from(values)
