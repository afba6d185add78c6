"""Settings: one reader of the environment; a wrong combination names the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import DEFAULT_DATABASE_URL, SettingsError, load_settings, settings_from

TENANT = "7e57c0de-0000-4000-8000-000000000001"
APP = "00000000-1111-4222-8333-444444444444"
KEY = "k" * 32  # a synthetic signing key


def test_defaults_are_local_mode_on_sqlite():
    settings = settings_from({})

    assert settings.local_mode
    assert settings.port == 3978
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.app_type == "SingleTenant"
    assert settings.allowed_tenants == frozenset()


def test_single_tenant_serves_its_own_tenant_by_default():
    settings = settings_from(
        {
            "MicrosoftAppId": APP,
            "MicrosoftAppPassword": "synthetic",
            "MicrosoftAppTenantId": TENANT,
            "FILES_SIGNING_KEY": KEY,
        }
    )

    assert not settings.local_mode
    assert settings.allowed_tenants == frozenset({TENANT})


def test_a_hosting_providers_single_tenant_bot_serves_the_organisations_tenants(tmp_path: Path):
    """Issue 15: new Azure Bots are single-tenant; with organisation files the bot's own
    tenant is not an allow-list of one (the organisations' tenants are the ones served)."""
    settings = settings_from(
        {
            "MicrosoftAppId": APP,
            "MicrosoftAppPassword": "synthetic",
            "MicrosoftAppTenantId": TENANT,
            "FILES_SIGNING_KEY": KEY,
            "KANALKOLLEN_ORGANISATIONS": str(tmp_path),
        }
    )

    assert settings.app_tenant_id == TENANT
    assert settings.allowed_tenants == frozenset()


def test_allowed_tenants_are_a_comma_separated_list():
    settings = settings_from({"ALLOWED_TENANTS": f" {TENANT}, other-tenant ,"})

    assert settings.allowed_tenants == frozenset({TENANT, "other-tenant"})
    assert settings.tenant_allowed(TENANT)
    assert not settings.tenant_allowed("third")
    assert not settings.tenant_allowed(None)


@pytest.mark.parametrize(
    ("values", "named_key"),
    [
        ({"MicrosoftAppId": APP, "MicrosoftAppPassword": "synthetic"}, "MicrosoftAppTenantId"),
        ({"MicrosoftAppId": APP, "MicrosoftAppTenantId": TENANT}, "MicrosoftAppPassword"),
        ({"MicrosoftAppPassword": "synthetic"}, "MicrosoftAppId"),
        ({"MicrosoftAppType": "Everyone"}, "MicrosoftAppType"),
        ({"MicrosoftAppType": "UserAssignedMSI", "MicrosoftAppId": APP}, "MicrosoftAppTenantId"),
        ({"PORT": "eighty"}, "PORT"),
        ({"PORT": "70000"}, "PORT"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
        (
            {"MicrosoftAppId": APP, "MicrosoftAppPassword": "s", "MicrosoftAppTenantId": TENANT},
            "FILES_SIGNING_KEY",
        ),
        ({"FILES_SIGNING_KEY": "short"}, "FILES_SIGNING_KEY"),
        ({"GRAPH_TENANT_ID": TENANT}, "GRAPH_CLIENT_ID"),
        ({"MAIL_TRANSPORT": "pigeon"}, "MAIL_TRANSPORT"),
        ({"MAIL_TRANSPORT": "smtp"}, "SMTP_HOST"),
        ({"MAIL_TRANSPORT": "smtp", "SMTP_HOST": "127.0.0.1"}, "MAIL_FROM"),
        ({"MAIL_TRANSPORT": "graph", "MAIL_FROM": "a@b.se"}, "GRAPH_TENANT_ID"),
        ({"SMTP_STARTTLS": "maybe"}, "SMTP_STARTTLS"),
        ({"SMTP_PORT": "x"}, "SMTP_PORT"),
        ({"PUBLIC_BASE_URL": "http://bot.example"}, "PUBLIC_BASE_URL"),
        ({"DOWNLOAD_TIMEOUT_SECONDS": "soon"}, "DOWNLOAD_TIMEOUT_SECONDS"),
        ({"DOWNLOAD_TIMEOUT_SECONDS": "0"}, "DOWNLOAD_TIMEOUT_SECONDS"),
    ],
)
def test_a_wrong_combination_names_the_key(values: dict[str, str], named_key: str):
    with pytest.raises(SettingsError) as raised:
        settings_from(values)

    message = str(raised.value)
    assert named_key in message
    assert message.count(".") >= 1 and "\n" not in message  # one clear sentence


def test_multi_tenant_needs_no_tenant_id():
    settings = settings_from(
        {
            "MicrosoftAppId": APP,
            "MicrosoftAppPassword": "synthetic",
            "MicrosoftAppType": "multitenant",
            "FILES_SIGNING_KEY": KEY,
        }
    )

    assert settings.app_type == "MultiTenant"
    assert settings.allowed_tenants == frozenset()


def test_the_password_is_not_in_the_repr():
    settings = settings_from(
        {
            "MicrosoftAppId": APP,
            "MicrosoftAppPassword": "synthetic-value",
            "MicrosoftAppTenantId": TENANT,
            "FILES_SIGNING_KEY": KEY,
        }
    )

    assert "synthetic-value" not in repr(settings)


def test_env_file_fills_what_the_environment_does_not_set(tmp_path: Path):
    env_file = tmp_path / ".env"
    env_file.write_text("PORT=4000\nLOG_LEVEL=debug\nFILES_DIR=/srv/files\n", encoding="utf-8")

    settings = load_settings({"PORT": "5000"}, env_file=env_file)

    assert settings.port == 5000  # the environment wins
    assert settings.log_level == "DEBUG"
    assert settings.files_dir == Path("/srv/files")


def test_policy_path_is_optional():
    assert settings_from({}).policy_path is None
    assert settings_from({"KANALKOLLEN_POLICY": "policy.toml"}).policy_path == Path("policy.toml")


def test_the_download_timeout_is_seconds_per_file():
    assert settings_from({}).download_timeout_seconds == 20
    assert settings_from({"DOWNLOAD_TIMEOUT_SECONDS": "7.5"}).download_timeout_seconds == 7.5
