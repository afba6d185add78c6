"""An SMTP sink on loopback (aiosmtpd's Controller in its own thread) that records mail.

It can refuse the next messages with a given reply (451: try later, 550: never) at the
DATA or RCPT stage, and optionally offer STARTTLS and require a login (synthetic
credentials), as an organisation's relay on port 587 does.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import ssl
import tempfile
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.support.fake_graph import loopback_certificate

Stage = Literal["rcpt", "data"]
REPLIES = {
    421: "421 4.3.2 Service shutting down",
    450: "450 4.2.1 Mailbox busy, try again later",
    451: "451 4.3.0 Temporary failure, try again later",
    452: "452 4.3.1 Insufficient system storage",
    550: "550 5.1.1 Mailbox unavailable",
    552: "552 5.3.4 Message too big",
    554: "554 5.7.1 Message refused",
}


@dataclass(frozen=True)
class ReceivedMail:
    """A message the sink accepted, parsed with `email`."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage
    tls: bool
    login: str | None

    @property
    def subject(self) -> str:
        """The decoded Subject header."""
        return str(self.message["Subject"])

    @property
    def to(self) -> str:
        """The decoded To header."""
        return str(self.message["To"])

    @property
    def body_text(self) -> str:
        """The text/plain body, decoded, with SMTP's CRLF line ends back to LF."""
        part = self.message.get_body(preferencelist=("plain",))
        assert part is not None, "no text/plain part"
        return str(part.get_content()).replace("\r\n", "\n")

    @property
    def attachments(self) -> dict[str, bytes]:
        """File name -> content of every attachment."""
        return {
            str(part.get_filename()): bytes(part.get_content())
            for part in self.message.iter_attachments()
        }


class _Handler:
    """aiosmtpd handler hooks; they run in the controller's thread."""

    def __init__(self, sink: SmtpSink) -> None:
        self._sink = sink

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        refusal = self._sink._refusal("rcpt")
        if refusal is not None:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        refusal = self._sink._refusal("data")
        if refusal is not None:
            return refusal
        raw = envelope.original_content or b""
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        login = session.auth_data if isinstance(session.auth_data, str) else None
        with self._sink._lock:
            self._sink.received.append(
                ReceivedMail(
                    mail_from=str(envelope.mail_from),
                    rcpt_tos=tuple(envelope.rcpt_tos),
                    message=parsed,
                    tls=session.ssl is not None,
                    login=login,
                )
            )
        return "250 2.0.0 Queued"


class SmtpSink:
    """Accepts SMTP on 127.0.0.1:<ephemeral port> and keeps what it received."""

    def __init__(self, *, starttls: bool = False, login: tuple[str, str] | None = None) -> None:
        """Configure the sink; with starttls it requires STARTTLS (certificate: `ca_file`)."""
        self.host = "127.0.0.1"
        self.port = 0
        self.received: list[ReceivedMail] = []
        self._starttls = starttls
        self._login = login
        self._lock = threading.Lock()
        self._refusals: list[tuple[Stage, str]] = []
        self._controller: Controller | None = None
        self._folder: tempfile.TemporaryDirectory[str] | None = None

    @property
    def ca_file(self) -> str:
        """The CA certificate to trust for STARTTLS."""
        assert self._folder is not None, "the sink was started without starttls"
        return str(Path(self._folder.name) / "ca.pem")

    def refuse_next(self, code: int, times: int = 1, *, at: Stage = "data") -> None:
        """Answers the next `times` messages (or recipients, at="rcpt") with this code."""
        reply = REPLIES.get(code, f"{code} Refused by the test")
        with self._lock:
            self._refusals.extend([(at, reply)] * times)

    def _refusal(self, stage: Stage) -> str | None:
        with self._lock:
            for index, (at, reply) in enumerate(self._refusals):
                if at == stage:
                    del self._refusals[index]
                    return reply
        return None

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and self._login is not None
            and (data.login.decode(), data.password.decode()) == self._login
        )
        login = data.login.decode() if ok else None
        return AuthResult(success=ok, handled=False, auth_data=login)

    async def __aenter__(self) -> SmtpSink:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        """Starts the controller's thread on a free port."""
        options: dict[str, Any] = {"server_hostname": "sink.kanalkollen.test"}
        if self._starttls:
            self._folder = tempfile.TemporaryDirectory(prefix="smtp-sink-")
            _, cert, key = loopback_certificate().write(Path(self._folder.name))
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(cert, key)
            options |= {"tls_context": context, "require_starttls": True}
        if self._login is not None:
            options |= {
                "authenticator": self._authenticate,
                "auth_required": True,
                "auth_require_tls": self._starttls,
            }
        for _ in range(5):
            # aiosmtpd needs the port before it binds: take a free one, retry if it was taken.
            self.port = _free_port(self.host)
            controller = Controller(_Handler(self), hostname=self.host, port=self.port, **options)
            try:
                await asyncio.to_thread(controller.start)
            except OSError:
                continue
            self._controller = controller
            return
        raise RuntimeError("no free port for the SMTP sink")

    async def stop(self) -> None:
        """Stops the controller and removes the certificate files."""
        if self._controller is not None:
            await asyncio.to_thread(self._controller.stop)
            self._controller = None
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None


def _free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])
