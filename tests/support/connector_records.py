"""Records and error bodies of the Bot Connector emulator."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from multidict import CIMultiDictProxy

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"

SENT_OPERATIONS = frozenset({"send", "reply"})

ERROR_CODES: dict[int, str] = {
    400: "BadArgument",
    401: "Unauthorized",
    403: "ConversationBlockedByUser",
    404: "NotFound",
    408: "RequestTimeout",
    412: "PreconditionFailed",
    413: "MessageSizeTooBig",
    429: "Throttled",
    500: "InternalServerError",
    502: "BadGateway",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
}


def error_body(status: int, code: str | None = None, message: str | None = None) -> dict[str, Any]:
    """Return a Bot Connector error body {"error": {"code", "message"}} for a status."""
    code = code or ERROR_CODES.get(status, "ServiceError")
    return {"error": {"code": code, "message": message or f"{code} (emulated {status})"}}


@dataclass(frozen=True)
class Received:
    """One request the emulator answered, with what it answered."""

    operation: str
    method: str
    path: str
    conversation_id: str | None
    activity_id: str | None
    body: dict[str, Any] | None
    headers: CIMultiDictProxy[str]
    at: float
    status: int
    member_id: str | None = None
    result_id: str | None = None
    response: Any = field(default=None, compare=False)
    # The caller's (host, port): one port over many requests means one pooled connection.
    peer: tuple[str, int] | None = field(default=None, compare=False)

    @property
    def authorization(self) -> str | None:
        """Return the Authorization header value, if one was sent."""
        return self.headers.get("Authorization")

    @property
    def ok(self) -> bool:
        """Return whether the emulator answered with a 2xx status."""
        return 200 <= self.status < 300

    @property
    def activity(self) -> dict[str, Any] | None:
        """Return the activity carried by the request (the body, or a create's activity)."""
        if self.body is None:
            return None
        if self.operation == "create":
            activity = self.body.get("activity")
            return activity if isinstance(activity, dict) else None
        if self.operation in SENT_OPERATIONS or self.operation == "update":
            return self.body
        return None

    @property
    def text(self) -> str | None:
        """Return the text of the carried activity, if any."""
        activity = self.activity
        return activity.get("text") if activity else None

    def summary(self) -> str:
        """Return a one-line human readable description of this record."""
        parts = [f"{self.status} {self.operation}", f"conv={self.conversation_id}"]
        if self.activity_id:
            parts.append(f"activity={self.activity_id}")
        if self.member_id:
            parts.append(f"member={self.member_id}")
        activity = self.activity
        if activity:
            parts.append(f"type={activity.get('type')}")
            if activity.get("text"):
                parts.append(f"text={activity['text'][:60]!r}")
            if activity.get("attachments"):
                parts.append(f"attachments={len(activity['attachments'])}")
        return " ".join(parts)


def adaptive_cards(activity: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Return the adaptive card contents attached to an activity dict."""
    if not activity:
        return []
    return [
        attachment["content"]
        for attachment in activity.get("attachments") or []
        if attachment.get("contentType") == ADAPTIVE_CARD
        and isinstance(attachment.get("content"), dict)
    ]
