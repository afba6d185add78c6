"""Synthetic Teams-style identifiers shared by the emulator and the activity factories."""

from __future__ import annotations

import base64
import hashlib
import itertools
import time
import uuid

_last_message_id = 0
_counter = itertools.count(1)


def _token(*parts: str, length: int = 43) -> str:
    """Return a stable URL-safe token derived from the given parts."""
    digest = hashlib.sha256("|".join(parts).encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")[:length]


def personal_conversation_id(user_id: str, tenant_id: str) -> str:
    """Return the stable 1:1 conversation id Teams-like for a user in a tenant."""
    return "a:1" + _token("personal", tenant_id, user_id)


def user_id_for(aad_object_id: str) -> str:
    """Return a stable Teams user id ("29:1...") for an AAD object id."""
    return "29:1" + _token("user", aad_object_id)


def group_conversation_id() -> str:
    """Return a fresh group chat conversation id in Teams' thread format."""
    return f"19:{uuid.uuid4().hex}@thread.v2"


def new_message_id() -> str:
    """Return a fresh, strictly increasing Teams-style message id (epoch milliseconds)."""
    global _last_message_id
    _last_message_id = max(_last_message_id + 1, time.time_ns() // 1_000_000)
    return str(_last_message_id)


def new_event_id() -> str:
    """Return a fresh id of the "f:<guid>" form Teams uses for events and invokes."""
    return f"f:{uuid.uuid4()}"


def new_action_id() -> str:
    """Return a fresh synthetic adaptive card action id."""
    return f"action-{next(_counter)}"
