"""Mail transports: SMTP against a local aiosmtpd sink, Graph sendMail against FakeGraph."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import replace

import aiohttp
import pytest

from bot.integrations.graph import GraphClient
from bot.integrations.mail import (
    GraphMailTransport,
    SmtpTransport,
    build_mime,
    log_kept_mail,
    mail_transport_from,
)
from bot.integrations.mail_message import MailAttachment, MailError, MailMessage
from tests.support.fake_graph import FakeGraph
from tests.support.smtp_sink import SmtpSink

MAILBOX = "kanalkollen@skola.example"
SENDER = f"Kanalkollen <{MAILBOX}>"
REGISTRY = "registrator@skola.example"
BODY = "Ny kanal: Åsens fritidsgård på Instagram.\nAnsvarig chef: Måns Öberg\n"
ATTACHMENT = MailAttachment("Kanalplan Åsen.pdf", "application/pdf", b"%PDF-1.7 \xe5\xe4\xf6")
SINK_LOGIN = ("relay-user", "relay-password-for-tests")


def make_mail(**overrides: object) -> MailMessage:
    """A registration notice with a Swedish subject, body and attachment name."""
    message = MailMessage(
        to=(REGISTRY,),
        subject="Registrering av kanal: Åsens fritidsgård (ärende 12)",
        body_text=BODY,
        sender=SENDER,
        attachments=(ATTACHMENT,),
    )
    return replace(message, **overrides)  # type: ignore[arg-type]


@pytest.fixture
async def sink() -> AsyncIterator[SmtpSink]:
    async with SmtpSink() as sink:
        yield sink


def smtp_to(sink: SmtpSink) -> SmtpTransport:
    return SmtpTransport(sink.host, sink.port, starttls=False, timeout=2)


def test_the_mime_message_is_utf8_with_swedish_letters() -> None:
    mime = build_mime(make_mail())

    raw = mime.as_bytes()
    assert raw.isascii()  # encoded for any relay, decoded below
    assert mime["Subject"] == "Registrering av kanal: Åsens fritidsgård (ärende 12)"
    assert mime.get_body(preferencelist=("plain",)).get_content() == BODY  # type: ignore[union-attr]
    (attachment,) = mime.iter_attachments()
    assert attachment.get_filename() == "Kanalplan Åsen.pdf"
    assert attachment.get_content() == ATTACHMENT.data
    assert mime["Message-ID"].endswith("@skola.example>")


async def test_smtp_delivers_utf8_and_the_attachment(sink: SmtpSink) -> None:
    await smtp_to(sink).send(make_mail())

    (received,) = sink.received
    assert received.mail_from == "kanalkollen@skola.example"
    assert received.rcpt_tos == (REGISTRY,)
    assert received.subject == "Registrering av kanal: Åsens fritidsgård (ärende 12)"
    assert received.to == REGISTRY
    assert received.body_text == BODY
    assert received.attachments == {"Kanalplan Åsen.pdf": ATTACHMENT.data}


async def test_smtp_with_starttls_and_login() -> None:
    async with SmtpSink(starttls=True, login=SINK_LOGIN) as sink:
        transport = SmtpTransport(
            sink.host, sink.port, True, *SINK_LOGIN, timeout=2, ca_file=sink.ca_file
        )
        await transport.send(make_mail())

        (received,) = sink.received
        assert received.tls and received.login == "relay-user"
        assert SINK_LOGIN[1] not in repr(transport)


async def test_smtp_wrong_login_is_transient() -> None:
    async with SmtpSink(starttls=True, login=SINK_LOGIN) as sink:
        transport = SmtpTransport(
            sink.host, sink.port, True, "relay-user", "wrong", timeout=2, ca_file=sink.ca_file
        )
        with pytest.raises(MailError) as raised:
            await transport.send(make_mail())

    assert not raised.value.permanent
    assert "wrong" not in str(raised.value)
    assert sink.received == []


@pytest.mark.parametrize(
    ("code", "at", "permanent"),
    [
        (451, "data", False),
        (421, "data", False),
        (550, "data", True),
        (552, "data", True),
        (450, "rcpt", False),
        (550, "rcpt", True),
    ],
)
async def test_smtp_refusals_are_classified(
    sink: SmtpSink, code: int, at: str, permanent: bool
) -> None:
    sink.refuse_next(code, at=at)  # type: ignore[arg-type]

    with pytest.raises(MailError) as raised:
        await smtp_to(sink).send(make_mail())

    assert raised.value.permanent is permanent
    assert str(code) in str(raised.value)
    assert sink.received == []


async def test_smtp_is_retried_after_a_transient_refusal(sink: SmtpSink) -> None:
    sink.refuse_next(451)
    with pytest.raises(MailError):
        await smtp_to(sink).send(make_mail())

    await smtp_to(sink).send(make_mail())

    assert len(sink.received) == 1


async def test_smtp_one_refused_recipient_of_two_is_logged_not_raised(
    sink: SmtpSink, caplog: pytest.LogCaptureFixture
) -> None:
    sink.refuse_next(550, at="rcpt")

    await smtp_to(sink).send(make_mail(to=("gone@skola.example", REGISTRY)))

    assert sink.received[0].rcpt_tos == (REGISTRY,)
    assert "gone@skola.example" in caplog.text


async def test_smtp_connection_refused_is_transient(sink: SmtpSink) -> None:
    port = sink.port
    await sink.stop()

    async with asyncio.timeout(5):
        with pytest.raises(MailError) as raised:
            await SmtpTransport("127.0.0.1", port, starttls=False, timeout=2).send(make_mail())

    assert not raised.value.permanent


@pytest.fixture
async def graph() -> AsyncIterator[FakeGraph]:
    async with FakeGraph() as fake:
        fake.add_user("mailbox-id", "Kanalkollen", MAILBOX, MAILBOX)
        yield fake


@pytest.fixture
async def graph_transport(graph: FakeGraph) -> AsyncIterator[GraphMailTransport]:
    async with aiohttp.ClientSession() as session:
        client = GraphClient(graph.config(), session)
        yield GraphMailTransport(client)
        await client.aclose()


async def test_graph_sends_the_mail(graph: FakeGraph, graph_transport: GraphMailTransport) -> None:
    await graph_transport.send(make_mail())

    (sent,) = graph.sent_mail
    assert sent.sender == "kanalkollen@skola.example"
    assert sent.to == (REGISTRY,)
    assert sent.subject == "Registrering av kanal: Åsens fritidsgård (ärende 12)"
    assert (sent.content_type, sent.body) == ("Text", BODY)
    assert [(a.name, a.content_type, a.data) for a in sent.attachments] == [
        ("Kanalplan Åsen.pdf", "application/pdf", ATTACHMENT.data)
    ]


@pytest.mark.parametrize(
    ("status", "retry_after", "permanent"),
    [
        (429, 30.0, False),
        (503, None, False),
        (500, 2.0, False),
        (400, None, True),
        (403, None, True),
    ],
)
async def test_graph_failures_are_classified(
    graph: FakeGraph,
    graph_transport: GraphMailTransport,
    status: int,
    retry_after: float | None,
    permanent: bool,
) -> None:
    graph.fail_next(status, retry_after=retry_after)

    with pytest.raises(MailError) as raised:
        await graph_transport.send(make_mail())

    assert raised.value.permanent is permanent
    assert raised.value.retry_after == retry_after
    assert graph.sent_mail == []


async def test_graph_unknown_sender_mailbox_is_permanent(
    graph_transport: GraphMailTransport,
) -> None:
    with pytest.raises(MailError) as raised:
        await graph_transport.send(make_mail(sender="nobody@skola.example"))

    assert raised.value.permanent


async def test_graph_down_is_transient(
    graph: FakeGraph, graph_transport: GraphMailTransport
) -> None:
    await graph.down()

    with pytest.raises(MailError) as raised:
        await graph_transport.send(make_mail())

    assert not raised.value.permanent


async def test_graph_refused_credentials_are_transient(graph: FakeGraph) -> None:
    graph.fail_next(401, where="token")
    async with aiohttp.ClientSession() as session:
        client = GraphClient(graph.config(), session)
        with pytest.raises(MailError) as raised:
            await GraphMailTransport(client).send(make_mail())
        await client.aclose()

    assert not raised.value.permanent


def test_the_transport_is_chosen_by_name() -> None:
    smtp = mail_transport_from("SMTP", smtp_host="relay.skola.example", smtp_password="pw-123")

    assert isinstance(smtp, SmtpTransport) and smtp.host == "relay.skola.example"
    assert "pw-123" not in repr(smtp)
    assert mail_transport_from("none") is None


@pytest.mark.parametrize(
    ("name", "reason"),
    [("smtp", "SMTP_HOST"), ("graph", "GRAPH_"), ("sendgrid", "graph, smtp or none")],
)
def test_a_transport_without_its_settings_is_refused(name: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        mail_transport_from(name)


def test_kept_mail_is_logged_without_its_body(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="bot.integrations.mail"):
        log_kept_mail(make_mail())

    assert REGISTRY in caplog.text and "Åsens fritidsgård" in caplog.text
    assert "Ansvarig chef" not in caplog.text


def test_a_message_needs_a_recipient() -> None:
    with pytest.raises(ValueError, match="recipient"):
        make_mail(to=())
