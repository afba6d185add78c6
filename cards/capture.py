"""The capture Kanalkollen took of a channel's page, shown in the chat (R12)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cards.common import card, escape_md, facts, heading, paragraph
from cards.i18n import Texts


@dataclass(frozen=True)
class CaptureView:
    """A finished capture: the picture's link and the facts an editor checks."""

    address: str
    image_url: str  # a signed, expiring link to the full-page PNG
    captured_at: str  # formatted for the reader
    start_page: bool


def capture_card(view: CaptureView, texts: Texts) -> dict[str, Any]:
    """ "Så här såg startsidan ut i dag — stämmer det?" with the picture and what to do next."""
    title = (
        texts("capture.shown")
        if view.start_page
        else texts("capture.shown_page", address=escape_md(view.address))
    )
    return card(
        [
            heading(title),
            facts(
                [
                    (texts("capture.address"), escape_md(view.address)),
                    (texts("capture.time"), view.captured_at),
                ]
            ),
            {
                "type": "Image",
                "url": view.image_url,
                "altText": view.address,
                "size": "Stretch",
                "selectAction": {"type": "Action.OpenUrl", "url": view.image_url},
            },
            paragraph(texts("capture.confirm_hint")),
        ]
    )
