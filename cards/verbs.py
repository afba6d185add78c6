"""Every adaptive-card action verb the bot knows, in one place."""

from __future__ import annotations

from enum import StrEnum


class Verb(StrEnum):
    """Card action verbs; `parse_action` refuses anything else."""

    SHOW_HELP = "help.show"
