"""The WARC of a capture is replayable: request/response pairs that `warcio check` passes."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from bot.capture.isolated import IsolatedCapturer
from bot.capture.warc import Exchange
from bot.capture.warc_writer import build_warc
from tests.support.capture_site import PIXEL, CaptureSite

WARCIO = [sys.executable, "-c", "import sys; from warcio.cli import main; sys.exit(main())"]


def _check(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*WARCIO, "check", "-v", str(path)], capture_output=True, text=True, check=False
    )


def _sha1(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


def _pairs(warc: bytes) -> tuple[list[str], dict[str, tuple[object, bytes]]]:
    """The record types in order, and each response by its record id with its body."""
    types, responses = [], {}
    requests = {}
    for record in ArchiveIterator(io.BytesIO(warc)):
        types.append(record.rec_type)
        record_id = record.rec_headers.get_header("WARC-Record-ID")
        if record.rec_type == "response":
            responses[record_id] = (record, record.content_stream().read())
        elif record.rec_type == "request":
            requests[record.rec_headers.get_header("WARC-Concurrent-To")] = record
    assert set(requests) == set(responses)  # every response has its request, and only one
    for record_id, request in requests.items():
        response = responses[record_id][0]
        uri = request.rec_headers.get_header("WARC-Target-URI")
        assert uri == response.rec_headers.get_header("WARC-Target-URI")  # type: ignore[attr-defined]
        assert request.http_headers.protocol in ("GET", "POST")
    return types, responses


async def test_a_captured_pages_warc_passes_warcio_check_and_pairs_every_response(
    capturer: IsolatedCapturer, site: CaptureSite, tmp_path: Path
):
    capture = await capturer.capture(site.url("/"))
    assert capture.failure is None
    path = tmp_path / "capture.warc.gz"
    path.write_bytes(capture.warc)
    checked = _check(path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.count("digest pass") == checked.stdout.count("WARC-Record-ID")

    types, responses = _pairs(capture.warc)
    assert types[0] == "warcinfo" and types.count("response") == 3
    bodies = {
        record.rec_headers.get_header("WARC-Target-URI"): (record, body)  # type: ignore[attr-defined]
        for record, body in responses.values()
    }
    record, body = bodies[site.url("/pixel.png")]
    assert body == PIXEL
    assert record.rec_headers.get_header("WARC-Payload-Digest") == _sha1(PIXEL)  # type: ignore[attr-defined]
    assert record.http_headers.get_header("Content-Length") == str(len(PIXEL))  # type: ignore[attr-defined]
    assert record.http_headers.get_statuscode() == "200"  # type: ignore[attr-defined]


def test_a_redirect_and_a_decoded_body_are_written_as_replay_tools_expect(tmp_path: Path):
    page = "<p>Förskolan Ugglan</p>".encode()
    exchanges = [
        Exchange(
            "https://www.example.org/ugglan",
            "GET",
            [("accept", "*/*")],
            301,
            "Moved Permanently",
            [("Location", "/ugglan/")],
            b"",
        ),
        Exchange(
            "https://www.example.org/ugglan/",
            "GET",
            [("accept", "*/*")],
            200,
            "OK",
            [
                ("Content-Type", "text/html; charset=utf-8"),
                ("Content-Encoding", "gzip"),
                ("Transfer-Encoding", "chunked"),
                ("Content-Length", "9"),
            ],
            page,
        ),
    ]
    warc = build_warc(exchanges, captured_at=datetime(2026, 3, 3, 9, tzinfo=UTC), software="t")
    path = tmp_path / "c.warc.gz"
    path.write_bytes(warc)
    assert _check(path).returncode == 0
    _, responses = _pairs(warc)
    by_status = {r.http_headers.get_statuscode(): (r, b) for r, b in responses.values()}  # type: ignore[attr-defined]
    redirect, _ = by_status["301"]
    assert redirect.http_headers.get_header("Location") == "/ugglan/"  # type: ignore[attr-defined]
    record, body = by_status["200"]
    # The body is kept decoded, so the headers that described the wire form are gone.
    assert body == page
    assert record.http_headers.get_header("Content-Encoding") is None  # type: ignore[attr-defined]
    assert record.http_headers.get_header("Transfer-Encoding") is None  # type: ignore[attr-defined]
    assert record.http_headers.get_header("Content-Length") == str(len(page))  # type: ignore[attr-defined]
    assert record.rec_headers.get_header("WARC-Date") == "2026-03-03T09:00:00Z"  # type: ignore[attr-defined]


def test_the_check_fails_on_a_changed_byte(tmp_path: Path):
    """The digests are checked for real: one byte changed in a body is found."""
    body = b"A" * 200
    exchange = Exchange(
        "https://www.example.org/", "GET", [], 200, "OK", [("Content-Type", "text/plain")], body
    )
    warc = build_warc([exchange], captured_at=datetime(2026, 3, 3, tzinfo=UTC), software="t")
    path = tmp_path / "kept.warc"
    path.write_bytes(gzip.decompress(warc))  # every gzip member: the WARC uncompressed
    assert _check(path).returncode == 0
    path.write_bytes(gzip.decompress(warc).replace(body, b"B" + body[1:]))
    checked = _check(path)
    assert "digest failed" in checked.stdout and checked.returncode != 0
