"""The Bot Framework CloudAdapter, authenticated from settings."""

from __future__ import annotations

import logging
from types import SimpleNamespace

from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from botbuilder.schema import ActivityTypes
from botframework.connector.auth import (
    BotFrameworkAuthentication,
    ManagedIdentityServiceClientCredentialsFactory,
    PasswordServiceClientCredentialFactory,
    ServiceClientCredentialsFactory,
)

from bot.settings import Settings
from cards.i18n import Texts

log = logging.getLogger(__name__)


def _credentials(settings: Settings) -> ServiceClientCredentialsFactory:
    """Chooses how the bot proves itself to the Bot Connector (none in local mode)."""
    if settings.local_mode:
        # No app id: inbound authentication is off and outbound calls carry no token.
        return PasswordServiceClientCredentialFactory(None, None)
    if settings.app_type == "UserAssignedMSI":
        return ManagedIdentityServiceClientCredentialsFactory(settings.app_id)
    tenant = settings.app_tenant_id if settings.app_type == "SingleTenant" else None
    return PasswordServiceClientCredentialFactory(settings.app_id, settings.app_password, tenant)


def build_authentication(settings: Settings) -> BotFrameworkAuthentication:
    """Builds the SDK's authentication, which validates every inbound JWT."""
    configuration = SimpleNamespace(
        APP_ID=settings.app_id, APP_TYPE=settings.app_type, APP_TENANTID=settings.app_tenant_id
    )
    return ConfigurationBotFrameworkAuthentication(
        configuration, credentials_factory=_credentials(settings)
    )


def build_adapter(authentication: BotFrameworkAuthentication) -> CloudAdapter:
    """Creates the adapter with an error handler that logs and answers politely."""
    adapter = CloudAdapter(authentication)

    async def on_turn_error(context: TurnContext, error: Exception) -> None:
        log.error(
            "turn failed: activity type=%s id=%s: %r",
            context.activity.type,
            context.activity.id,
            error,
            exc_info=error,
        )
        if context.activity.type == ActivityTypes.message and not context.responded:
            try:
                await context.send_activity(
                    Texts.for_locale(context.activity.locale)("errors.generic")
                )
            except Exception:
                log.warning("could not tell the user about the failed turn")

    adapter.on_turn_error = on_turn_error
    return adapter
