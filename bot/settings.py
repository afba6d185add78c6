"""Settings: the only reader of the environment (and of `.env`, via python-dotenv).

Built once in `main()` and passed down as one frozen object. A wrong combination stops
start-up with one sentence that names the key (`SettingsError`).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dotenv import dotenv_values

APP_TYPES = {
    "singletenant": "SingleTenant",
    "multitenant": "MultiTenant",
    "userassignedmsi": "UserAssignedMSI",
}
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///var/kanalkollen.db"
# Where the bot creates a 1:1 chat when it has never seen the tenant (Teams' global endpoint).
# GRAPH_TENANT_ID for a multi-tenant app registration: people are looked up in the tenant of
# each organisation (KANALKOLLEN_ORGANISATIONS) they belong to (Entra's own word for it).
EVERY_ORGANISATION = "organizations"
DEFAULT_TEAMS_SERVICE_URL = "https://smba.trafficmanager.net/teams/"
# Where the Bot Framework publishes the keys that sign the Bot Connector's tokens (its
# "BotOpenIdMetadata" setting); bot/teams/channel_tokens.py.
BOT_OPENID_METADATA_URL = "https://login.botframework.com/v1/.well-known/openidconfiguration"
FILE_STORES = ("local", "azure-blob")
DEFAULT_AZURE_CONTAINER = "kanalkollen"


class SettingsError(ValueError):
    """A setting is missing, malformed or does not fit with another one."""


@dataclass(frozen=True)
class Settings:
    """Everything Kanalkollen reads from its environment."""

    app_id: str = ""
    app_password: str = field(default="", repr=False)
    app_type: str = "SingleTenant"
    app_tenant_id: str = ""
    port: int = 3978
    database_url: str = DEFAULT_DATABASE_URL
    allowed_tenants: frozenset[str] = frozenset()
    policy_path: Path | None = None
    # A folder of organisation files (domain.organisations); None: the policy is the only one.
    organisations_path: Path | None = None
    files_dir: Path = Path("var/files")
    log_level: str = "INFO"
    teams_service_url: str = DEFAULT_TEAMS_SERVICE_URL
    public_base_url: str = ""
    files_signing_key: str = field(default="", repr=False)
    graph_tenant_id: str = ""
    graph_client_id: str = ""
    graph_client_secret: str = field(default="", repr=False)
    graph_base_url: str = "https://graph.microsoft.com/v1.0"
    graph_authority_host: str = "https://login.microsoftonline.com"
    graph_ca_file: str = ""
    mail_transport: str = "none"
    mail_from: str = ""
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_starttls: bool = True
    smtp_user: str = ""
    smtp_password: str = field(default="", repr=False)
    # How long one attachment's download may take before it is reported as not arrived.
    download_timeout_seconds: float = 20.0
    # How long a POST to /api/messages may take to send its body (408 after it).
    body_read_timeout_seconds: float = 10.0
    bot_openid_metadata_url: str = BOT_OPENID_METADATA_URL
    # The browser for captures of public pages (R12): None finds /usr/bin/chromium. Captures
    # are on where a browser is found (CHROMIUM_PATH unset or "auto"), off with
    # CHROMIUM_PATH=none; a Settings built in code (tests) has them off unless it says so.
    chromium_path: Path | None = None
    capture_disabled: bool = True
    # The OS user the browser runs as (bot/capture/isolation.py): "" is `nobody` when the bot
    # runs as root, else the bot's own user.
    capture_user: str = ""
    capture_timeout_seconds: float = 30.0
    capture_max_mb: int = 25
    # Lets captures visit loopback (the tests' local site). Never read from the environment.
    capture_allow_loopback_for_tests: bool = False
    # Where files are kept: "local" (FILES_DIR) or "azure-blob" (one container that every
    # instance shares): a connection string, or an account URL with managed identity.
    file_store: str = "local"
    azure_storage_connection_string: str = field(default="", repr=False)
    azure_storage_account_url: str = ""
    azure_storage_container: str = DEFAULT_AZURE_CONTAINER
    azure_storage_timeout_seconds: float = 30.0
    azure_storage_retries: int = 3

    @property
    def graph_configured(self) -> bool:
        """True when Microsoft Graph credentials are set (manager lookup, sendMail)."""
        return bool(self.graph_tenant_id and self.graph_client_id and self.graph_client_secret)

    @property
    def base_url(self) -> str:
        """The public https URL of the bot (links to files); loopback in local mode."""
        return (self.public_base_url or f"http://127.0.0.1:{self.port}").rstrip("/")

    @property
    def local_mode(self) -> bool:
        """True without app credentials: the Emulator and tests, bound to localhost."""
        return not self.app_id

    @property
    def host(self) -> str:
        """The address to bind: loopback only in local mode."""
        return "127.0.0.1" if self.local_mode else "0.0.0.0"

    def tenant_allowed(self, tenant_id: str | None) -> bool:
        """Tells whether activities from this tenant are served."""
        if not self.allowed_tenants:
            return True
        return tenant_id is not None and tenant_id in self.allowed_tenants


def load_settings(
    environ: Mapping[str, str] | None = None, env_file: Path | None = Path(".env")
) -> Settings:
    """Builds the settings from the environment, with `.env` filling what is not set."""
    values: dict[str, str] = {}
    if env_file is not None and env_file.is_file():
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update(os.environ if environ is None else environ)
    return settings_from(values)


def settings_from(values: Mapping[str, str]) -> Settings:
    """Validates raw key/value pairs and returns the settings."""

    def get(key: str, default: str = "") -> str:
        return values.get(key, default).strip()

    app_id = get("MicrosoftAppId")
    password = get("MicrosoftAppPassword")
    app_type = APP_TYPES.get(get("MicrosoftAppType", "SingleTenant").lower())
    if app_type is None:
        raise SettingsError(
            "MicrosoftAppType must be SingleTenant, MultiTenant or UserAssignedMSI, "
            f"not '{get('MicrosoftAppType')}'."
        )
    tenant_id = get("MicrosoftAppTenantId")
    if app_id:
        if app_type != "UserAssignedMSI" and not password:
            raise SettingsError(
                f"MicrosoftAppPassword is required when MicrosoftAppId is set "
                f"and MicrosoftAppType is {app_type}."
            )
        if app_type in ("SingleTenant", "UserAssignedMSI") and not tenant_id:
            raise SettingsError(
                f"MicrosoftAppTenantId is required when MicrosoftAppType is {app_type}."
            )
    elif password:
        raise SettingsError("MicrosoftAppPassword is set but MicrosoftAppId is empty.")

    policy = get("KANALKOLLEN_POLICY")
    organisations = get("KANALKOLLEN_ORGANISATIONS")
    allowed = frozenset(t.strip() for t in get("ALLOWED_TENANTS").split(",") if t.strip())
    if not allowed and app_id and app_type == "SingleTenant" and not organisations:
        # A single-tenant bot serves its own tenant unless told otherwise. With organisation
        # files their tenants are the ones served: a hosting provider's bot lives in its own
        # tenant (new Azure Bots are single-tenant) and serves the organisations' tenants.
        allowed = frozenset({tenant_id})
    graph = {
        key: get(key) for key in ("GRAPH_TENANT_ID", "GRAPH_CLIENT_ID", "GRAPH_CLIENT_SECRET")
    }
    if any(graph.values()) and not all(graph.values()):
        missing = next(key for key, value in graph.items() if not value)
        raise SettingsError(f"{missing} is required when any GRAPH_* setting is set.")
    transport = (get("MAIL_TRANSPORT") or "none").lower()
    if transport not in ("none", "smtp", "graph"):
        raise SettingsError(f"MAIL_TRANSPORT must be graph, smtp or none, not '{transport}'.")
    if transport == "smtp" and not get("SMTP_HOST"):
        raise SettingsError("SMTP_HOST is required when MAIL_TRANSPORT is smtp.")
    if graph["GRAPH_TENANT_ID"].lower() == EVERY_ORGANISATION:
        graph["GRAPH_TENANT_ID"] = EVERY_ORGANISATION
        if not organisations:
            raise SettingsError(
                f"GRAPH_TENANT_ID={EVERY_ORGANISATION} needs KANALKOLLEN_ORGANISATIONS: it looks "
                "people up in the tenants the organisations name."
            )
        if transport == "graph":
            raise SettingsError(
                f"MAIL_TRANSPORT=graph sends from one tenant's mailbox: set GRAPH_TENANT_ID to "
                f"that tenant, not {EVERY_ORGANISATION}, or use MAIL_TRANSPORT=smtp."
            )
    if transport == "graph" and not all(graph.values()):
        raise SettingsError(
            "GRAPH_TENANT_ID, GRAPH_CLIENT_ID and GRAPH_CLIENT_SECRET are "
            "required when MAIL_TRANSPORT is graph."
        )
    if transport != "none" and "@" not in get("MAIL_FROM"):
        raise SettingsError(
            f"MAIL_FROM must be an e-mail address when MAIL_TRANSPORT is {transport}."
        )
    public = get("PUBLIC_BASE_URL")
    if public and not public.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise SettingsError("PUBLIC_BASE_URL must be an https URL.")
    signing_key = get("FILES_SIGNING_KEY")
    if signing_key and len(signing_key.encode()) < 32:
        raise SettingsError("FILES_SIGNING_KEY must be at least 32 characters.")
    if app_id and not signing_key:
        raise SettingsError(
            "FILES_SIGNING_KEY is required when MicrosoftAppId is set "
            "(every instance must sign file links with the same key)."
        )
    azure = _azure_storage(get)
    return Settings(
        app_id=app_id,
        app_password=password,
        app_type=app_type,
        app_tenant_id=tenant_id,
        port=_port(get("PORT", "3978")),
        database_url=get("DATABASE_URL") or DEFAULT_DATABASE_URL,
        allowed_tenants=allowed,
        policy_path=Path(policy) if policy else None,
        organisations_path=Path(organisations) if organisations else None,
        files_dir=Path(get("FILES_DIR") or "var/files"),
        log_level=_log_level(get("LOG_LEVEL", "INFO")),
        teams_service_url=get("TEAMS_SERVICE_URL") or DEFAULT_TEAMS_SERVICE_URL,
        public_base_url=public,
        files_signing_key=signing_key,
        graph_tenant_id=graph["GRAPH_TENANT_ID"],
        graph_client_id=graph["GRAPH_CLIENT_ID"],
        graph_client_secret=graph["GRAPH_CLIENT_SECRET"],
        graph_base_url=get("GRAPH_BASE_URL") or "https://graph.microsoft.com/v1.0",
        graph_authority_host=get("GRAPH_AUTHORITY_HOST") or "https://login.microsoftonline.com",
        graph_ca_file=get("GRAPH_CA_FILE"),
        mail_transport=transport,
        mail_from=get("MAIL_FROM"),
        smtp_host=get("SMTP_HOST"),
        smtp_port=_port(get("SMTP_PORT", "587"), key="SMTP_PORT"),
        smtp_starttls=_flag(get("SMTP_STARTTLS", "true"), key="SMTP_STARTTLS"),
        smtp_user=get("SMTP_USER"),
        smtp_password=get("SMTP_PASSWORD"),
        download_timeout_seconds=_seconds(
            get("DOWNLOAD_TIMEOUT_SECONDS", "20"), key="DOWNLOAD_TIMEOUT_SECONDS"
        ),
        body_read_timeout_seconds=_seconds(
            get("BODY_READ_TIMEOUT_SECONDS", "10"), key="BODY_READ_TIMEOUT_SECONDS"
        ),
        bot_openid_metadata_url=get("BotOpenIdMetadata") or BOT_OPENID_METADATA_URL,
        chromium_path=(
            Path(get("CHROMIUM_PATH"))
            if get("CHROMIUM_PATH").lower() not in ("", "none", "auto")
            else None
        ),
        capture_disabled=get("CHROMIUM_PATH", "auto").lower() == "none",
        capture_user=get("CAPTURE_USER"),
        capture_timeout_seconds=_seconds(
            get("CAPTURE_TIMEOUT_SECONDS", "30"), key="CAPTURE_TIMEOUT_SECONDS"
        ),
        capture_max_mb=_megabytes(get("CAPTURE_MAX_MB", "25")),
        **azure,
    )


def _azure_storage(get: Callable[..., str]) -> dict[str, Any]:
    """FILE_STORE and the AZURE_STORAGE_* settings it needs."""
    store = (get("FILE_STORE") or "local").lower()
    if store not in FILE_STORES:
        raise SettingsError(f"FILE_STORE must be local or azure-blob, not '{store}'.")
    connection = get("AZURE_STORAGE_CONNECTION_STRING")
    account_url = get("AZURE_STORAGE_ACCOUNT_URL").rstrip("/")
    container = get("AZURE_STORAGE_CONTAINER") or DEFAULT_AZURE_CONTAINER
    if store == "azure-blob":
        if bool(connection) == bool(account_url):
            raise SettingsError(
                "FILE_STORE=azure-blob needs either AZURE_STORAGE_ACCOUNT_URL (managed "
                "identity) or AZURE_STORAGE_CONNECTION_STRING, and not both."
            )
        if account_url and not account_url.startswith(
            ("https://", "http://127.0.0.1", "http://localhost")
        ):
            raise SettingsError("AZURE_STORAGE_ACCOUNT_URL must be an https URL.")
    if not re.fullmatch(r"[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]", container):
        raise SettingsError(
            "AZURE_STORAGE_CONTAINER must be 3 to 63 lower-case letters, digits and single "
            f"dashes, not '{container}'."
        )
    retries = get("AZURE_STORAGE_RETRIES", "3")
    if not retries.isdigit() or int(retries) > 10:
        raise SettingsError(f"AZURE_STORAGE_RETRIES must be from 0 to 10, not '{retries}'.")
    return {
        "file_store": store,
        "azure_storage_connection_string": connection,
        "azure_storage_account_url": account_url,
        "azure_storage_container": container,
        "azure_storage_timeout_seconds": _seconds(
            get("AZURE_STORAGE_TIMEOUT_SECONDS", "30"), key="AZURE_STORAGE_TIMEOUT_SECONDS"
        ),
        "azure_storage_retries": int(retries),
    }


def _port(raw: str, key: str = "PORT") -> int:
    try:
        port = int(raw)
    except ValueError:
        raise SettingsError(f"{key} must be a number, not '{raw}'.") from None
    if not 0 <= port <= 65535:
        raise SettingsError(f"{key} must be between 0 and 65535, not {port}.")
    return port


def _seconds(raw: str, key: str) -> float:
    try:
        seconds = float(raw)
    except ValueError:
        raise SettingsError(f"{key} must be a number of seconds, not '{raw}'.") from None
    if not 0 < seconds <= 600:
        raise SettingsError(f"{key} must be more than 0 and at most 600, not {raw}.")
    return seconds


def _megabytes(raw: str, key: str = "CAPTURE_MAX_MB") -> int:
    if not raw.isdigit() or not 1 <= int(raw) <= 500:
        raise SettingsError(
            f"{key} must be a whole number of megabytes from 1 to 500, not '{raw}'."
        )
    return int(raw)


def _flag(raw: str, key: str) -> bool:
    value = raw.lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{key} must be true or false, not '{raw}'.")


def _log_level(raw: str) -> str:
    level = raw.upper()
    if level not in logging.getLevelNamesMapping():
        raise SettingsError(f"LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, not '{raw}'.")
    return level
