"""One request the browser made and the answer it got, as the WARC file keeps it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Exchange:
    """One request the browser made and the response it got."""

    url: str
    method: str
    request_headers: list[tuple[str, str]]
    status: int
    status_text: str
    response_headers: list[tuple[str, str]]
    body: bytes
