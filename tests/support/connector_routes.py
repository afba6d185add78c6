"""Maps Bot Connector REST paths to emulator operations."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote


@dataclass(frozen=True)
class Route:
    """An operation name plus the ids decoded from the request path."""

    operation: str
    conversation_id: str | None = None
    activity_id: str | None = None
    member_id: str | None = None


_ACTIVITY_OPERATIONS = {"POST": "reply", "PUT": "update", "DELETE": "delete"}


def _segments(raw_path: str) -> list[str]:
    """Split a still-encoded path into decoded segments, so encoded '/' stays in one id."""
    return [unquote(part) for part in raw_path.strip("/").split("/")]


def resolve(method: str, raw_path: str) -> Route:
    """Return the Bot Connector operation for an HTTP method and raw (encoded) path."""
    parts = _segments(raw_path)
    if len(parts) < 2 or parts[0] != "v3" or parts[1] != "conversations":
        return Route("unknown")
    if len(parts) == 2:
        return Route({"POST": "create", "GET": "get_conversations"}.get(method, "unknown"))
    # Path words are matched without case, as the service does (`pagedMembers`, `pagedmembers`).
    conv = parts[2]
    rest = [part.lower() if index % 2 == 0 else part for index, part in enumerate(parts[3:])]
    match (method, rest):
        case ("POST", ["activities"]):
            return Route("send", conv)
        case ("POST", ["activities", "history"]):
            return Route("history", conv)
        case (_, ["activities", activity_id]) if method in _ACTIVITY_OPERATIONS:
            return Route(_ACTIVITY_OPERATIONS[method], conv, activity_id)
        case ("GET", ["activities", activity_id, "members"]):
            return Route("get_activity_members", conv, activity_id)
        case ("GET", ["members"]):
            return Route("get_members", conv)
        case ("GET", ["pagedmembers"]):
            return Route("get_paged_members", conv)
        case ("GET", ["members", member_id]):
            return Route("get_member", conv, member_id=member_id)
        case ("DELETE", ["members", member_id]):
            return Route("delete_member", conv, member_id=member_id)
    return Route("unknown", conv)
