"""How much of a typed text the answerer reads (issue 24), without the language libraries.

A pasted page, a log or a blob costs no more than a long question: only its first characters
are read, and only words of a sane length (domain/answers/text.py).
"""

from __future__ import annotations

# The longest real question we know is about 350 characters: a pasted text is read as far as
# a long question goes.
MAX_QUESTION_CHARS = 600
# A word longer than this is no word of a question (a link, a hash, a pasted blob).
MAX_WORD_LETTERS = 32


def bounded(text: str) -> str:
    """The part of a text that is read as a question."""
    return text[:MAX_QUESTION_CHARS]
