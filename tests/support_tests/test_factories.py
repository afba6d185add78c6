"""Checks the Teams activity factories produce valid, Teams-shaped activities."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from microsoft_agents.activity import Activity, ActivityTypes

from tests.support.factories import (
    BOT_ID,
    TENANT_ID,
    make_execute,
    make_install,
    make_members_added,
    make_message,
    make_refresh,
    make_submit,
    make_uninstall,
    make_user,
)

SERVICE_URL = "http://127.0.0.1:1/"


def _all_kinds() -> list[dict[str, Any]]:
    """Return one activity of every factory kind for the same user."""
    user = make_user(2)
    return [
        make_message("Hej!", user=user, service_url=SERVICE_URL),
        make_install(user, SERVICE_URL),
        make_uninstall(user, SERVICE_URL),
        make_members_added(user, SERVICE_URL),
        make_execute("approve", {"id": 7}, user=user, service_url=SERVICE_URL, reply_to_id="1"),
        make_refresh("view", {"id": 7}, user=user, service_url=SERVICE_URL),
        make_submit({"choice": "ja"}, user=user, service_url=SERVICE_URL, reply_to_id="1"),
    ]


@pytest.mark.parametrize("payload", _all_kinds(), ids=lambda p: f"{p['type']}")
def test_factories_deserialize_as_teams_activities(payload: dict[str, Any]) -> None:
    """Every factory output deserializes with tenant, AAD id and UTC timestamp intact."""
    activity = Activity.model_validate(payload)
    assert activity.channel_id == "msteams"
    assert activity.service_url == SERVICE_URL
    assert activity.channel_data["tenant"]["id"] == TENANT_ID
    assert payload["conversation"]["tenantId"] == TENANT_ID
    assert activity.conversation.conversation_type == "personal"
    assert activity.from_property.aad_object_id == make_user(2).aad_object_id
    assert activity.recipient.id == BOT_ID
    assert activity.timestamp.utcoffset() == timedelta(0)
    assert payload["timestamp"].endswith("Z")
    assert activity.locale == "sv-SE"
    assert activity.entities[0].type == "clientInfo"


def test_execute_invoke_shape() -> None:
    """Action.Execute arrives as an adaptiveCard/action invoke with a manual trigger."""
    user = make_user()
    payload = make_execute(
        "approve", {"case": 1}, user=user, service_url=SERVICE_URL, reply_to_id="1700"
    )
    activity = Activity.model_validate(payload)
    assert activity.type == ActivityTypes.invoke
    assert activity.name == "adaptiveCard/action"
    assert activity.reply_to_id == "1700"
    assert activity.value["trigger"] == "manual"
    assert activity.value["action"]["type"] == "Action.Execute"
    assert activity.value["action"]["verb"] == "approve"
    assert activity.value["action"]["data"] == {"case": 1}
    refresh = make_refresh("view", {}, user=user, service_url=SERVICE_URL)
    assert refresh["value"]["trigger"] == "automatic"


def test_submit_and_install_shapes() -> None:
    """Action.Submit is a message with empty text and a value; install is action "add"."""
    user = make_user()
    submit = Activity.model_validate(make_submit({"a": 1}, user=user, service_url=SERVICE_URL))
    assert (submit.type, submit.text, submit.value) == ("message", "", {"a": 1})
    install = Activity.model_validate(make_install(user, SERVICE_URL))
    assert (install.type, install.action) == ("installationUpdate", "add")
    added = Activity.model_validate(make_members_added(user, SERVICE_URL))
    assert [m.id for m in added.members_added] == [BOT_ID]


def test_users_are_synthetic_stable_and_distinct() -> None:
    """make_user is deterministic per index and overrides replace fields."""
    first, second = make_user(1), make_user(2)
    assert first == make_user(1)
    assert first.name == "Testperson Ett"
    assert second.name == "Testperson Två"
    assert len({first.user_id, second.user_id}) == 2
    assert len({first.conversation_id, second.conversation_id}) == 2
    assert first.user_id.startswith("29:")
    assert first.conversation_id.startswith("a:")
    assert make_user(1, name="Testperson Annan").name == "Testperson Annan"
    assert make_user(12).name == "Testperson 12"


def test_overrides_are_shallow_and_ids_unique() -> None:
    """Overrides replace top-level keys; each activity gets a fresh id."""
    user = make_user()
    message = make_message("x", user=user, service_url=SERVICE_URL, locale="en-US", id="42")
    assert message["id"] == "42"
    assert message["locale"] == "en-US"
    a = make_message("x", user=user, service_url=SERVICE_URL)
    b = make_message("x", user=user, service_url=SERVICE_URL)
    assert a["id"] != b["id"]


def test_sdk_reads_teams_conversation_tenant_id() -> None:
    """The Agents SDK reads Teams' conversation.tenantId (botbuilder-schema lost it)."""
    activity = Activity.model_validate(
        make_message("x", user=make_user(), service_url=SERVICE_URL)
    )
    assert activity.conversation.tenant_id == TENANT_ID
    assert activity.channel_data["tenant"]["id"] == TENANT_ID
