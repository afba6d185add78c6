"""Sample cards of bot/flows_withdrawal.py's flow (see tests/cards/samples.py)."""

from __future__ import annotations

from tests.cards.samples import CardBuilder

SAMPLES: list[tuple[str, CardBuilder]] = []
