"""Settings: the only reader of the environment (and of `.env`, via python-dotenv).

Built once in `main()` and passed down as one frozen object. A wrong combination stops
start-up with one sentence that names the key (`SettingsError`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import dotenv_values

APP_TYPES = {
    "singletenant": "SingleTenant",
    "multitenant": "MultiTenant",
    "userassignedmsi": "UserAssignedMSI",
}
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///var/kanalkollen.db"
# Where the bot creates a 1:1 chat when it has never seen the tenant (Teams' global endpoint).
DEFAULT_TEAMS_SERVICE_URL = "https://smba.trafficmanager.net/teams/"


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
    files_dir: Path = Path("var/files")
    log_level: str = "INFO"
    teams_service_url: str = DEFAULT_TEAMS_SERVICE_URL

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

    allowed = frozenset(t.strip() for t in get("ALLOWED_TENANTS").split(",") if t.strip())
    if not allowed and app_id and app_type == "SingleTenant":
        # A single-tenant bot serves its own tenant unless told otherwise.
        allowed = frozenset({tenant_id})

    policy = get("KANALKOLLEN_POLICY")
    return Settings(
        app_id=app_id,
        app_password=password,
        app_type=app_type,
        app_tenant_id=tenant_id,
        port=_port(get("PORT", "3978")),
        database_url=get("DATABASE_URL") or DEFAULT_DATABASE_URL,
        allowed_tenants=allowed,
        policy_path=Path(policy) if policy else None,
        files_dir=Path(get("FILES_DIR") or "var/files"),
        log_level=_log_level(get("LOG_LEVEL", "INFO")),
        teams_service_url=get("TEAMS_SERVICE_URL") or DEFAULT_TEAMS_SERVICE_URL,
    )


def _port(raw: str) -> int:
    try:
        port = int(raw)
    except ValueError:
        raise SettingsError(f"PORT must be a number, not '{raw}'.") from None
    if not 0 <= port <= 65535:
        raise SettingsError(f"PORT must be between 0 and 65535, not {port}.")
    return port


def _log_level(raw: str) -> str:
    level = raw.upper()
    if level not in logging.getLevelNamesMapping():
        raise SettingsError(f"LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, not '{raw}'.")
    return level
