"""A municipality's own ways of asking, from a folder the policy names (`answers.extra_dir`).

Each `*.toml` file there adds question variants and keywords to one shipped rule or wish:

    rule = "R3"              # or: wish = "new_channel", or: outside = true
    [sv]
    questions = ["Räcker det med en redaktör på fritidsgården?"]
    keywords = ["fritidsledare"]
    synonyms = ["ensam fritidsledare"]
    [en]
    questions = ["Is one editor enough?"]

Only tomllib here: the policy checks the folder at start-up without loading the language
libraries. A wrong file stops start-up with the file and the key named.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

LANGUAGES = ("sv", "en")
KEYS = ("questions", "keywords", "synonyms")
# The key of what the rules do not answer (knowledge/outside.toml): platform how-tos, HR, IT.
OUTSIDE = "outside"


class ExtraError(ValueError):
    """A file of the extra folder cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Addition:
    """What one file adds to one entry ("R3" or "wish:new_channel")."""

    key: str
    questions: dict[str, tuple[str, ...]]  # language -> ways of asking
    anchors: dict[str, tuple[str, ...]]  # language -> key words and synonyms


def read_additions(folder: Path, known: frozenset[str]) -> tuple[Addition, ...]:
    """The additions of every `*.toml` in the folder, checked against the known entry keys."""
    if not folder.is_dir():
        raise ExtraError(f"answers.extra_dir {folder} is not a folder.")
    additions = []
    for path in sorted(folder.glob("*.toml")):
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
            raise ExtraError(f"{path}: not a readable TOML file ({error}).") from None
        rule, wish = data.get("rule"), data.get("wish")
        key = f"wish:{wish}" if isinstance(wish, str) else rule
        if data.get("outside") is True:
            key = OUTSIDE
        if not isinstance(key, str) or key not in known:
            raise ExtraError(
                f"{path}: 'rule' or 'wish' must name one of {', '.join(sorted(known))}"
                " (or: outside = true)."
            )
        unknown = set(data) - {"rule", "wish", "outside", *LANGUAGES}
        if unknown:
            raise ExtraError(f"{path}: unknown key '{sorted(unknown)[0]}'.")
        questions: dict[str, tuple[str, ...]] = {}
        anchors: dict[str, tuple[str, ...]] = {}
        for language in LANGUAGES:
            section = data.get(language, {})
            if not isinstance(section, dict) or set(section) - set(KEYS):
                raise ExtraError(
                    f"{path}: [{language}] may hold only 'questions', 'keywords' and 'synonyms'."
                )
            for name in KEYS:
                value = section.get(name, [])
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise ExtraError(f"{path}: '{language}.{name}' must be a list of strings.")
            questions[language] = tuple(section.get("questions", []))
            anchors[language] = (*section.get("keywords", []), *section.get("synonyms", []))
        additions.append(Addition(key, questions, anchors))
    return tuple(additions)


def shipped_keys() -> frozenset[str]:
    """The keys of the shipped rules and wishes ("R3", "wish:new_channel")."""
    keys = {OUTSIDE}
    for name in ("rules", "wishes"):
        for item in (files("domain.answers") / "knowledge" / name).iterdir():
            if item.name.endswith(".toml"):
                data = tomllib.loads(item.read_text(encoding="utf-8"))
                keys.add(f"wish:{data['wish']}" if "wish" in data else str(data["rule"]))
    return frozenset(keys)
