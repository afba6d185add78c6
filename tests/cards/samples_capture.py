"""Sample cards of Kanalkollen's own captures (R12, issue 16)."""

from __future__ import annotations

from dataclasses import replace

from cards.capture import CaptureView, capture_card
from tests.cards.samples import CardBuilder

_VIEW = CaptureView(
    address="https://www.instagram.com/ugglan",
    image_url="https://kanalkollen.example/files/documentation/capture.png",
    captured_at="3 mars 2026 10:00",
    start_page=True,
)

SAMPLES: list[tuple[str, CardBuilder]] = [
    ("capture_start_page", lambda texts: capture_card(_VIEW, texts)),
    (
        "capture_other_page",
        lambda texts: capture_card(
            replace(_VIEW, address="https://www.instagram.com/ugglan/reels", start_page=False),
            texts,
        ),
    ),
]
