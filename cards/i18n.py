"""Message catalogs: Swedish by default, English when the activity's locale says so."""

from __future__ import annotations

import string
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

DEFAULT_LANGUAGE = "sv"
LANGUAGES = ("sv", "en")


def language_of(locale: str | None) -> str:
    """Maps an activity locale ("en-US", "sv-SE", None) to a catalog language."""
    if locale:
        primary = locale.replace("_", "-").split("-")[0].lower()
        if primary in LANGUAGES:
            return primary
    return DEFAULT_LANGUAGE


@cache
def raw_catalog(language: str) -> dict[str, Any]:
    """Returns a catalog as the nested tables of its TOML files.

    `locales/<language>.toml` holds the commands and the shared texts; each flow may keep its
    own texts in `locales/<language>.d/<flow>.toml`. A top-level table defined twice raises.
    """
    locales = files("cards") / "locales"
    merged = tomllib.loads((locales / f"{language}.toml").read_text(encoding="utf-8"))
    extra = locales / f"{language}.d"
    if extra.is_dir():
        for part in sorted(extra.iterdir(), key=lambda item: item.name):
            if not part.name.endswith(".toml"):
                continue
            for key, value in tomllib.loads(part.read_text(encoding="utf-8")).items():
                if key in merged:
                    raise ValueError(f"catalog {language}: [{key}] is defined twice ({part.name})")
                merged[key] = value
    return merged


@cache
def catalog(language: str) -> dict[str, str]:
    """Returns a catalog flattened to dotted keys ("help.title") of strings."""
    flat: dict[str, str] = {}

    def walk(prefix: str, table: dict[str, Any]) -> None:
        for key, value in table.items():
            dotted = f"{prefix}{key}"
            if isinstance(value, dict):
                walk(f"{dotted}.", value)
            elif isinstance(value, str):
                flat[dotted] = value

    walk("", raw_catalog(language))
    return flat


def placeholders(text: str) -> set[str]:
    """Returns the named placeholders of a catalog text."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@dataclass(frozen=True)
class Texts:
    """The catalog of one language, bound for a turn or a card."""

    language: str

    @classmethod
    def for_locale(cls, locale: str | None) -> Texts:
        """Picks the catalog for an activity's locale."""
        return cls(language_of(locale))

    def __call__(self, key: str, **values: Any) -> str:
        """Returns the text for a key, filled with the values; a missing key raises KeyError."""
        text = catalog(self.language)[key]
        return text.format(**values) if values else text


@dataclass(frozen=True)
class Command:
    """A text command the bot understands, with its words in every language."""

    name: str
    keywords: frozenset[str]


@cache
def commands() -> tuple[Command, ...]:
    """Returns the commands in catalog order, each with the keywords of every language."""
    names = list(raw_catalog(DEFAULT_LANGUAGE)["commands"])
    result = []
    for name in names:
        words: set[str] = set()
        for language in LANGUAGES:
            entry = raw_catalog(language)["commands"][name]
            words.add(entry["title"].casefold())
            words.update(word.casefold() for word in entry.get("keywords", []))
        result.append(Command(name, frozenset(words)))
    return tuple(result)


def match_command(text: str) -> str | None:
    """Returns the command a typed text asks for ("Hjälp!" -> "help"), if any."""
    trimmed = " ".join(unicodedata.normalize("NFC", text).casefold().split())
    candidates = {trimmed, trimmed.strip(".!?").strip()} - {""}
    for command in commands():
        if candidates & command.keywords:
            return command.name
    return None
