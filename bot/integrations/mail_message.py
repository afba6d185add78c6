"""An e-mail as every transport takes it, and the one error a transport raises.

Apart from the transports (bot/integrations/mail.py) so that Graph's sendMail
(bot/integrations/graph.py) and SMTP share the message without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class MailAttachment:
    """A file sent with an e-mail."""

    filename: str
    content_type: str  # e.g. "application/pdf"
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class MailMessage:
    """A plain-text e-mail, ready for any transport."""

    to: tuple[str, ...]
    subject: str
    body_text: str
    sender: str
    attachments: tuple[MailAttachment, ...] = ()

    def __post_init__(self) -> None:
        if not self.to:
            raise ValueError("an e-mail needs at least one recipient")


class MailError(Exception):
    """An e-mail was not sent; `permanent` says that retrying cannot help."""

    def __init__(self, permanent: bool, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.message = message
        self.retry_after = retry_after


class MailTransport(Protocol):
    """Sends one e-mail or raises MailError."""

    async def send(self, message: MailMessage) -> None:
        """Sends the message."""
        ...
