"""The held-out evaluation of the answerer (issue 26): the question files and their score."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from domain.answers.knowledge import find

FOLDER = Path(__file__).parent
TUNING = FOLDER / "questions_tuning.toml"
HELDOUT = FOLDER / "questions_heldout.toml"


@dataclass(frozen=True)
class Question:
    expected: str  # the rule the answer must cite first; "" for no rule
    language: str
    text: str


@dataclass
class Score:
    """Top-1 on the questions a rule answers; off-topic questions that got a rule anyway."""

    on_topic: int = 0
    right: int = 0
    off_topic: int = 0
    answered_off_topic: int = 0
    misses: list[tuple[Question, tuple[str, ...]]] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.right / self.on_topic if self.on_topic else 0.0

    def __str__(self) -> str:
        return (
            f"top-1 {self.right}/{self.on_topic} = {self.accuracy:.1%}, "
            f"off-topic answered {self.answered_off_topic}/{self.off_topic}"
        )


def questions(path: Path) -> list[Question]:
    rows = tomllib.loads(path.read_text(encoding="utf-8"))["questions"]
    return [Question(*row) for row in rows]


def score(path: Path, extra_dir: str = "") -> Score:
    result = Score()
    for question in questions(path):
        rules = find(question.text, question.language, extra_dir).rules
        if question.expected:
            result.on_topic += 1
            if rules[:1] == (question.expected,):
                result.right += 1
            else:
                result.misses.append((question, rules))
        else:
            result.off_topic += 1
            if rules:
                result.answered_off_topic += 1
                result.misses.append((question, rules))
    return result


if __name__ == "__main__":
    # The misses of the tuning part only: the held-out part is scored (with --heldout), never
    # looked into.
    import sys

    tuning = score(TUNING)
    for question, rules in tuning.misses:
        print(f"  {question.expected or '-':>4} got {','.join(rules) or '-':<10} {question.text}")
    print(f"tuning: {tuning}")
    if "--heldout" in sys.argv:
        print(f"held-out: {score(HELDOUT)}")
