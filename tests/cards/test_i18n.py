"""The Swedish and English catalogs agree, and locales and typed commands map as they should."""

from __future__ import annotations

import ast
import string
from pathlib import Path
from typing import Any

import pytest

from cards.i18n import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    Texts,
    catalog,
    commands,
    match_command,
    placeholders,
    raw_catalog,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
CODE_PACKAGES = ("bot", "dialogs", "cards", "storage", "domain", "manifest")


def _every_text() -> list[tuple[str, str, str]]:
    return [
        (language, key, text) for language in LANGUAGES for key, text in catalog(language).items()
    ]


# --- the catalogs ---------------------------------------------------------------------------


def test_swedish_is_the_default_and_english_the_other_language() -> None:
    assert DEFAULT_LANGUAGE == "sv"
    assert set(LANGUAGES) == {"sv", "en"}


def test_catalogs_have_the_same_keys() -> None:
    sv, en = set(catalog("sv")), set(catalog("en"))
    assert sv, "the Swedish catalog is empty"
    assert not sv - en, f"missing in en.toml: {sorted(sv - en)}"
    assert not en - sv, f"missing in sv.toml: {sorted(en - sv)}"


def test_every_key_has_the_same_placeholders_in_both_languages() -> None:
    differences = [
        f"{key}: sv {sorted(placeholders(text))}, en {sorted(placeholders(catalog('en')[key]))}"
        for key, text in catalog("sv").items()
        if key in catalog("en") and placeholders(text) != placeholders(catalog("en")[key])
    ]
    assert not differences, "\n".join(differences)


def test_no_catalog_text_is_empty() -> None:
    empty = [f"{language}: {key}" for language, key, text in _every_text() if not text.strip()]
    keywords = [
        f"{language}: commands.{name}.keywords"
        for language in LANGUAGES
        for name, entry in raw_catalog(language)["commands"].items()
        if not all(isinstance(word, str) and word.strip() for word in entry.get("keywords", []))
    ]
    assert not empty + keywords, "\n".join(empty + keywords)


def test_catalogs_hold_only_texts_and_keyword_lists() -> None:
    # catalog() keeps strings only; anything else in the TOML would vanish without a word.
    def strays(table: dict[str, Any], prefix: str) -> list[str]:
        found = []
        for key, value in table.items():
            dotted = f"{prefix}{key}"
            if isinstance(value, dict):
                found += strays(value, f"{dotted}.")
            elif (
                isinstance(value, list)
                and all(isinstance(v, str) for v in value)
                and (
                    (prefix.startswith("commands.") and key == "keywords")
                    or key.endswith("_words")
                )
            ):
                continue  # words the bot recognises in a reply (e.g. "klar", "nej")
            elif prefix.startswith("commands.") and key == "menu" and isinstance(value, bool):
                continue  # whether the Teams command menu shows the command
            elif not isinstance(value, str):
                found.append(f"{dotted} = {value!r}")
        return found

    found = [
        f"{language}: {stray}"
        for language in LANGUAGES
        for stray in strays(raw_catalog(language), "")
    ]
    assert not found, "\n".join(found)


def test_placeholders_are_named_and_every_text_formats() -> None:
    problems = []
    for language, key, text in _every_text():
        fields = [field for _, field, _, _ in string.Formatter().parse(text) if field is not None]
        if not all(field.isidentifier() for field in fields):
            problems.append(f"{language}: {key} has an unnamed or compound placeholder: {fields}")
            continue
        try:
            text.format(**dict.fromkeys(placeholders(text), "Ada"))
        except (KeyError, IndexError, ValueError) as error:
            problems.append(f"{language}: {key} does not format: {error!r}")
    assert not problems, "\n".join(problems)


def _literal_keys(call: ast.Call) -> list[str]:
    """The catalog keys a `texts(...)` call names literally ("a" or "a" if c else "b")."""
    if not call.args:
        return []
    argument = call.args[0]
    candidates = (
        [argument.body, argument.orelse] if isinstance(argument, ast.IfExp) else [argument]
    )
    return [
        c.value for c in candidates if isinstance(c, ast.Constant) and isinstance(c.value, str)
    ]


def _is_texts_call(call: ast.Call) -> bool:
    """Tells whether a call looks up a text: texts(), x.texts(), Texts.for_locale(locale)()."""
    function = call.func
    if isinstance(function, ast.Name):
        return function.id == "texts"
    if isinstance(function, ast.Attribute):
        return function.attr in {"texts", "_texts"}
    return (
        isinstance(function, ast.Call)
        and isinstance(function.func, ast.Attribute)
        and function.func.attr == "for_locale"
    )


def test_every_key_the_code_names_exists_in_both_catalogs() -> None:
    used: dict[str, str] = {}
    for package in CODE_PACKAGES:
        for path in sorted((REPO_ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
                if isinstance(node, ast.Call) and _is_texts_call(node):
                    for key in _literal_keys(node):
                        used[key] = f"{path.relative_to(REPO_ROOT)}:{node.lineno}"
    assert used, "found no texts(...) calls: has the way texts are looked up changed?"
    missing = [
        f"{where}: {key!r} is not in {language}.toml"
        for key, where in sorted(used.items())
        for language in LANGUAGES
        if key not in catalog(language)
    ]
    assert not missing, "\n".join(missing)


# --- Texts.for_locale ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "language"),
    [
        ("en-US", "en"),
        ("en-GB", "en"),
        ("en", "en"),
        ("EN-us", "en"),
        ("en_GB", "en"),
        ("sv-SE", "sv"),
        ("sv-FI", "sv"),
        ("sv", "sv"),
        (None, "sv"),
        ("", "sv"),
        ("de-DE", "sv"),
        ("fi-FI", "sv"),
        ("nb-NO", "sv"),
    ],
)
def test_for_locale_picks_english_for_english_and_swedish_otherwise(
    locale: str | None, language: str
) -> None:
    assert Texts.for_locale(locale).language == language


def test_texts_fill_placeholders_and_refuse_unknown_keys() -> None:
    assert Texts("sv")("welcome.title", name="Ada") == "Hej Ada! Jag är Kanalkollen."
    assert Texts("en")("welcome.title", name="Ada") == "Hi Ada! I am Kanalkollen."
    assert Texts("en")("help.title") == catalog("en")["help.title"]
    with pytest.raises(KeyError):
        Texts("sv")("no.such.key")


# --- match_command ----------------------------------------------------------------------------


def _keyword_cases() -> list[Any]:
    cases = []
    for language in LANGUAGES:
        for name, entry in raw_catalog(language)["commands"].items():
            for word in [entry["title"], *entry.get("keywords", [])]:
                cases.append(pytest.param(word, name, id=f"{language}-{word}"))
    return cases


@pytest.mark.parametrize(("word", "command"), _keyword_cases())
def test_every_catalog_keyword_is_recognised(word: str, command: str) -> None:
    assert match_command(word) == command


def test_no_keyword_belongs_to_two_commands() -> None:
    seen: dict[str, str] = {}
    clashes = []
    for command in commands():
        for word in command.keywords:
            if word in seen:
                clashes.append(f"{word!r}: {seen[word]} and {command.name}")
            seen[word] = command.name
    assert not clashes, "\n".join(clashes)


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("hjälp", "help"),
        ("Hjälp", "help"),
        ("HJÄLP", "help"),
        ("Hjälp!", "help"),
        ("hjälp?", "help"),
        ("  hjälp \n", "help"),
        ("hjalp", "help"),
        ("Help", "help"),
        ("help.", "help"),
        ("HELP!!", "help"),
        pytest.param("?", "help"),
        pytest.param(" ? ", "help"),
        pytest.param("Hja\u0308lp", "help"),
        ("avbryt", "cancel"),
        ("Avbryt!", "cancel"),
        ("AVBRYT.", "cancel"),
        ("\tsluta ", "cancel"),
        ("Cancel", "cancel"),
        ("stop!", "cancel"),
    ],
)
def test_match_command_ignores_case_punctuation_and_whitespace(text: str, command: str) -> None:
    assert match_command(text) == command


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "!?.",
        "hej",
        "hello",
        "hjälp mig",
        "help me please",
        "hjälpsam",
        "avbryta",
        "h j ä l p",
    ],
)
def test_match_command_returns_none_for_other_text(text: str) -> None:
    assert match_command(text) is None
