"""E-mail transports behind one protocol: Microsoft Graph sendMail, SMTP, or none.

A transport either sends the message or raises `MailError`, which says whether retrying can
help (`permanent=False`, maybe with `retry_after`) or not. The outbox decides what to do next.

`MAIL_TRANSPORT=none` (local use) has no transport: `mail_transport_from` returns None, so
the delivery loop registers no e-mail sender and never claims e-mail rows. They stay
`pending` in the outbox, unattempted: nothing is lost, nothing is retried or dead-lettered,
and they leave as soon as a real transport is configured. `log_kept_mail` shows such a message
in the log (recipients and subject, never the body).

Failures that are about the configuration rather than the message (refused SMTP login, no
STARTTLS, a token refused for an expired client secret) are transient: the message is fine
and goes once an admin fixes the setting, instead of every queued notice going dead.
"""

from __future__ import annotations

import email.policy
import email.utils
import logging
from dataclasses import dataclass, field
from email.message import EmailMessage

import aiosmtplib

from bot.integrations.graph import GraphAuthError, GraphClient, GraphError, GraphUnavailable
from bot.integrations.mail_message import MailError, MailMessage, MailTransport

log = logging.getLogger(__name__)

SMTP_TIMEOUT_SECONDS = 10.0


def build_mime(message: MailMessage) -> EmailMessage:
    """Builds the MIME message: UTF-8 text and attachments, 7-bit clean (RFC 2047/2231)."""
    mime = EmailMessage(policy=email.policy.SMTP)
    mime["From"] = message.sender
    mime["To"] = ", ".join(message.to)
    mime["Subject"] = message.subject
    mime["Date"] = email.utils.formatdate(usegmt=True)
    domain = _address(message.sender).rpartition("@")[2] or "kanalkollen.invalid"
    mime["Message-ID"] = email.utils.make_msgid(domain=domain)
    # Quoted-printable keeps the message 7-bit, so even a relay without 8BITMIME takes it.
    mime.set_content(message.body_text, charset="utf-8", cte="quoted-printable")
    for attachment in message.attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        mime.add_attachment(
            attachment.data,
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            filename=attachment.filename,
        )
    return mime


@dataclass(frozen=True)
class SmtpTransport:
    """Sends through an SMTP relay with aiosmtplib; 5xx is permanent, 4xx and I/O transient."""

    host: str
    port: int = 587
    starttls: bool = True
    username: str = ""
    password: str = field(default="", repr=False)
    timeout: float = SMTP_TIMEOUT_SECONDS
    ca_file: str | None = None  # trust this CA bundle for STARTTLS instead of the system's

    async def send(self, message: MailMessage) -> None:
        """Hands the message to the relay."""
        try:
            refused, _ = await aiosmtplib.send(
                build_mime(message),
                sender=_address(message.sender),
                recipients=[_address(address) for address in message.to],
                hostname=self.host,
                port=self.port,
                start_tls=self.starttls,
                username=self.username or None,
                password=self.password or None,
                timeout=self.timeout,
                cert_bundle=self.ca_file,
            )
        except aiosmtplib.SMTPRecipientsRefused as error:
            codes = [refusal.code for refusal in error.recipients]
            raise MailError(
                permanent=all(500 <= code < 600 for code in codes),
                message=f"SMTP refused every recipient: {codes}",
            ) from error
        except aiosmtplib.SMTPAuthenticationError as error:
            raise MailError(
                permanent=False,
                message=f"SMTP login refused ({error.code}): check SMTP_USER and SMTP_PASSWORD",
            ) from error
        except aiosmtplib.SMTPResponseException as error:
            raise MailError(
                permanent=500 <= error.code < 600,
                message=f"SMTP answered {error.code}: {error.message}",
            ) from error
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            # Connection refused or lost, timeouts, no STARTTLS: the relay may be back later.
            raise MailError(permanent=False, message=f"SMTP: {type(error).__name__}") from error
        for address, (code, text) in refused.items():
            # The others have it; sending again would duplicate it for them.
            log.warning("mail %r: SMTP refused %s (%d %s)", message.subject, address, code, text)


class GraphMailTransport:
    """Sends with Microsoft Graph sendMail from the sender's mailbox."""

    def __init__(self, graph: GraphClient) -> None:
        self._graph = graph

    async def send(self, message: MailMessage) -> None:
        """Posts the message to Graph."""
        try:
            await self._graph.send_mail(
                _address(message.sender),
                [_address(address) for address in message.to],
                message.subject,
                message.body_text,
                list(message.attachments),
            )
        except GraphUnavailable as error:
            raise MailError(permanent=False, message=str(error)) from error
        except GraphAuthError as error:
            raise MailError(permanent=False, message=str(error)) from error
        except GraphError as error:
            transient = error.status in (408, 429) or error.status >= 500
            retry_after = error.retry_after if transient else None
            raise MailError(
                permanent=not transient, message=str(error), retry_after=retry_after
            ) from error


def mail_transport_from(
    transport: str,
    *,
    smtp_host: str = "",
    smtp_port: int = 587,
    smtp_starttls: bool = True,
    smtp_user: str = "",
    smtp_password: str = "",
    smtp_timeout: float = SMTP_TIMEOUT_SECONDS,
    graph: GraphClient | None = None,
) -> MailTransport | None:
    """Returns the transport MAIL_TRANSPORT names; None for "none" (rows stay in the outbox)."""
    kind = transport.strip().lower()
    if kind == "none":
        return None
    if kind == "smtp":
        if not smtp_host:
            raise ValueError("MAIL_TRANSPORT is smtp but SMTP_HOST is empty.")
        return SmtpTransport(
            smtp_host, smtp_port, smtp_starttls, smtp_user, smtp_password, smtp_timeout
        )
    if kind == "graph":
        if graph is None:
            raise ValueError("MAIL_TRANSPORT is graph but Graph is not configured (GRAPH_*).")
        return GraphMailTransport(graph)
    raise ValueError(f"MAIL_TRANSPORT must be graph, smtp or none, not '{transport}'.")


def log_kept_mail(message: MailMessage) -> None:
    """Logs an e-mail kept in the outbox because MAIL_TRANSPORT is none (never its body)."""
    log.info(
        "MAIL_TRANSPORT=none: e-mail kept in the outbox: to=%s subject=%r attachments=%s",
        ", ".join(message.to),
        message.subject,
        [attachment.filename for attachment in message.attachments],
    )


def _address(value: str) -> str:
    """Returns the bare address of "Name <address>" (or the value itself)."""
    return email.utils.parseaddr(value)[1] or value
