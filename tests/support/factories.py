"""Teams-shaped inbound activity dicts, as Teams posts them to a bot's /api/messages."""

from __future__ import annotations

import html
from dataclasses import dataclass, replace
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tests.support.teams_ids import (
    new_action_id,
    new_event_id,
    new_message_id,
    personal_conversation_id,
    user_id_for,
)

if TYPE_CHECKING:
    from tests.support.connector_emulator import ConnectorEmulator

BOT_APP_ID = "b07b07b0-7000-4000-8000-00000000b07a"
BOT_ID = f"28:{BOT_APP_ID}"
BOT_NAME = "Kanalkollen"
TENANT_ID = "7e57c0de-0000-4000-8000-000000000001"
TIMEZONE = "Europe/Stockholm"

_ORDINALS = ("Ett", "Två", "Tre", "Fyra", "Fem", "Sex", "Sju", "Åtta", "Nio", "Tio")


@dataclass(frozen=True)
class TeamsUser:
    """A synthetic Teams user in a personal (1:1) chat with the bot."""

    name: str
    aad_object_id: str
    user_id: str
    tenant_id: str
    conversation_id: str
    email: str | None = None
    user_principal_name: str | None = None

    def account(self) -> dict[str, Any]:
        """Return the ChannelAccount dict Teams puts in `from`."""
        return {"id": self.user_id, "name": self.name, "aadObjectId": self.aad_object_id}

    def add_to(self, emulator: ConnectorEmulator) -> dict[str, Any]:
        """Register this user as a member of their 1:1 chat in a connector emulator."""
        return emulator.add_member(
            self.conversation_id,
            self.user_id,
            self.name,
            self.aad_object_id,
            tenant_id=self.tenant_id,
            email=self.email,
            user_principal_name=self.user_principal_name,
        )


def make_user(index: int = 1, **overrides: Any) -> TeamsUser:
    """Return synthetic user number `index` ("Testperson Ett", ...), with field overrides."""
    ordinal = _ORDINALS[index - 1] if 1 <= index <= len(_ORDINALS) else str(index)
    aad_object_id = overrides.pop("aad_object_id", f"a0a0a0a0-0000-4000-8000-{index:012d}")
    user_id = overrides.pop("user_id", user_id_for(aad_object_id))
    tenant_id = overrides.pop("tenant_id", TENANT_ID)
    address = f"testperson.{index}@kanalkollen.example"
    user = TeamsUser(
        name=f"Testperson {ordinal}",
        aad_object_id=aad_object_id,
        user_id=user_id,
        tenant_id=tenant_id,
        conversation_id=personal_conversation_id(user_id, tenant_id),
        email=address,
        user_principal_name=address,
    )
    return replace(user, **overrides)


def _local_zone() -> tzinfo:
    """Return Europe/Stockholm, or UTC where no tz database is installed."""
    try:
        return ZoneInfo(TIMEZONE)
    except ZoneInfoNotFoundError:
        return UTC


def _timestamps() -> dict[str, str]:
    """Return `timestamp` (UTC, Z) and `localTimestamp` (local offset) as Teams sends."""
    now = datetime.now(UTC)
    return {
        "timestamp": now.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "localTimestamp": now.astimezone(_local_zone()).isoformat(timespec="milliseconds"),
    }


def _base(
    activity_type: str,
    user: TeamsUser,
    service_url: str,
    locale: str,
    *,
    activity_id: str,
    with_name: bool = True,
) -> dict[str, Any]:
    """Return the fields every Teams activity in a personal chat carries."""
    sender = user.account()
    if not with_name:
        del sender["name"]
    return {
        "type": activity_type,
        "id": activity_id,
        **_timestamps(),
        "channelId": "msteams",
        "serviceUrl": service_url,
        "from": sender,
        "conversation": {
            "conversationType": "personal",
            "tenantId": user.tenant_id,
            "id": user.conversation_id,
        },
        "recipient": {"id": BOT_ID, "name": BOT_NAME},
        "entities": [
            {
                "locale": locale,
                "country": locale.rpartition("-")[2] or "SE",
                "platform": "Web",
                "timezone": TIMEZONE,
                "type": "clientInfo",
            }
        ],
        "channelData": {"tenant": {"id": user.tenant_id}},
        "locale": locale,
        "localTimezone": TIMEZONE,
    }


def make_message(
    text: str, *, user: TeamsUser, service_url: str, locale: str = "sv-SE", **overrides: Any
) -> dict[str, Any]:
    """Return a message a user typed in the 1:1 chat (with Teams' text/html attachment)."""
    activity = _base("message", user, service_url, locale, activity_id=new_message_id())
    activity["text"] = text
    activity["textFormat"] = "plain"
    activity["attachments"] = [
        {"contentType": "text/html", "content": f"<p>{html.escape(text)}</p>"}
    ]
    return {**activity, **overrides}


def make_install(
    user: TeamsUser, service_url: str, *, locale: str = "sv-SE", **overrides: Any
) -> dict[str, Any]:
    """Return the installationUpdate "add" Teams sends when a user installs the app."""
    activity = _base(
        "installationUpdate",
        user,
        service_url,
        locale,
        activity_id=new_event_id(),
        with_name=False,
    )
    activity["action"] = "add"
    return {**activity, **overrides}


def make_uninstall(
    user: TeamsUser, service_url: str, *, locale: str = "sv-SE", **overrides: Any
) -> dict[str, Any]:
    """Return the installationUpdate "remove" Teams sends when a user removes the app."""
    return make_install(user, service_url, locale=locale, **{"action": "remove", **overrides})


def make_members_added(
    user: TeamsUser, service_url: str, *, locale: str = "sv-SE", **overrides: Any
) -> dict[str, Any]:
    """Return the conversationUpdate (bot added to the 1:1 chat) sent on installation."""
    activity = _base(
        "conversationUpdate",
        user,
        service_url,
        locale,
        activity_id=new_event_id(),
        with_name=False,
    )
    activity["membersAdded"] = [{"id": BOT_ID}]
    return {**activity, **overrides}


def _card_invoke(
    trigger: str,
    verb: str,
    data: dict[str, Any],
    *,
    user: TeamsUser,
    service_url: str,
    reply_to_id: str | None,
    action_id: str | None,
    locale: str,
    overrides: dict[str, Any],
) -> dict[str, Any]:
    """Return an adaptiveCard/action invoke for an Action.Execute with a given trigger."""
    activity = _base("invoke", user, service_url, locale, activity_id=new_event_id())
    activity["name"] = "adaptiveCard/action"
    activity["channelData"]["source"] = {"name": "message"}
    activity["value"] = {
        "action": {
            "type": "Action.Execute",
            "id": action_id or new_action_id(),
            "verb": verb,
            "data": data,
        },
        "trigger": trigger,
    }
    if reply_to_id is not None:
        activity["replyToId"] = reply_to_id
    return {**activity, **overrides}


def make_execute(
    verb: str,
    data: dict[str, Any],
    *,
    user: TeamsUser,
    service_url: str,
    reply_to_id: str | None = None,
    action_id: str | None = None,
    locale: str = "sv-SE",
    **overrides: Any,
) -> dict[str, Any]:
    """Return the invoke Teams sends when a user presses an Action.Execute button."""
    return _card_invoke(
        "manual",
        verb,
        data,
        user=user,
        service_url=service_url,
        reply_to_id=reply_to_id,
        action_id=action_id,
        locale=locale,
        overrides=overrides,
    )


def make_refresh(
    verb: str,
    data: dict[str, Any],
    *,
    user: TeamsUser,
    service_url: str,
    reply_to_id: str | None = None,
    action_id: str | None = None,
    locale: str = "sv-SE",
    **overrides: Any,
) -> dict[str, Any]:
    """Return the invoke Teams sends when it auto-refreshes a card (trigger "automatic")."""
    return _card_invoke(
        "automatic",
        verb,
        data,
        user=user,
        service_url=service_url,
        reply_to_id=reply_to_id,
        action_id=action_id,
        locale=locale,
        overrides=overrides,
    )


def make_submit(
    data: dict[str, Any],
    *,
    user: TeamsUser,
    service_url: str,
    reply_to_id: str | None = None,
    locale: str = "sv-SE",
    **overrides: Any,
) -> dict[str, Any]:
    """Return the message (empty text, `value` = data) Teams sends for an Action.Submit."""
    activity = _base("message", user, service_url, locale, activity_id=new_message_id())
    activity["text"] = ""
    activity["value"] = data
    activity["channelData"]["source"] = {"name": "message"}
    if reply_to_id is not None:
        activity["replyToId"] = reply_to_id
    return {**activity, **overrides}
