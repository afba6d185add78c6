"""The WARC file of one capture (`warcio`): what the browser received, so it can be replayed."""

from __future__ import annotations

import io
from datetime import datetime
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from bot.capture.warc import Exchange

# The browser hands over bodies decoded, so the headers that describe the wire form go.
_WIRE_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}


def build_warc(exchanges: list[Exchange], *, captured_at: datetime, software: str) -> bytes:
    """Returns a gzipped WARC 1.1 file: a warcinfo record, then request/response pairs."""
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True, warc_version="WARC/1.1")
    date = captured_at.isoformat().replace("+00:00", "Z")
    writer.write_record(
        writer.create_warcinfo_record(
            "capture.warc.gz", {"software": software, "format": "WARC File Format 1.1"}
        )
    )
    for exchange in exchanges:
        parts = urlsplit(exchange.url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        request = writer.create_warc_record(
            exchange.url,
            "request",
            payload=io.BytesIO(b""),
            length=0,
            http_headers=StatusAndHeaders(
                f"{exchange.method} {target} HTTP/1.1",
                exchange.request_headers,
                is_http_request=True,
            ),
            warc_headers_dict={"WARC-Date": date},
        )
        headers = [
            (name, value)
            for name, value in exchange.response_headers
            if name.lower() not in _WIRE_HEADERS
        ]
        headers.append(("Content-Length", str(len(exchange.body))))
        response = writer.create_warc_record(
            exchange.url,
            "response",
            payload=io.BytesIO(exchange.body),
            length=len(exchange.body),
            http_headers=StatusAndHeaders(
                f"{exchange.status} {exchange.status_text or 'OK'}", headers, protocol="HTTP/1.1"
            ),
            warc_headers_dict={"WARC-Date": date},
        )
        writer.write_request_response_pair(request, response)
    return buffer.getvalue()
