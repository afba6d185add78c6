"""Issue 26: what the answerer understands beyond its examples' words."""

from __future__ import annotations

import pytest

from domain.answers.knowledge import find, index
from domain.answers.text import Analyzer, Vocabulary, with_number_words


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Får jag lägga upp en bild på en 10-åring?", "sv"),
        ("Eleven är 12 år, räcker hennes ja?", "sv"),
        ("far jag lagga upp bild pa ett barn som ar 9 ar", "sv"),
        ("Can I post a photo of a 13-year-old?", "en"),
    ],
)
def test_r9_an_age_in_numbers_is_an_age(text: str, language: str) -> None:
    assert find(text, language).rules[:1] == ("R9",)


def test_numbers_become_the_rule_files_words() -> None:
    assert "ålder" in with_number_words("en 10-åring", "sv")
    assert "ålder" in with_number_words("hon är 12 år", "sv")
    assert "age" in with_number_words("a 13 year old", "en")
    assert "halvår" in with_number_words("var 6:e månad", "sv")
    assert with_number_words("årskurs 5", "sv") == "årskurs 5"


def test_r8_after_the_account_is_created_is_not_r2_before_it() -> None:
    assert find("Vi har skapat kontot, vad ska vi göra nu?", "sv").rules[:1] == ("R8",)
    assert find("We've created the account, what do we do next?", "en").rules[:1] == ("R8",)
    assert find("Vi vill skapa ett konto", "sv").wish == "new_channel"


def test_r2_starting_on_a_named_platform_without_asking_anyone() -> None:
    question = "Kan jag starta ett konto på insta utan att fråga någon?"
    assert find(question, "sv").rules[:1] == ("R2",)


def test_r13_closing_a_page_in_english() -> None:
    assert find("How do we close our Facebook page?", "en").rules[:1] == ("R13",)


def test_r11_the_guidelines_own_words() -> None:
    assert find("Vi ska gallra i flödet", "sv").rules[:1] == ("R11",)
    assert find("Vad säger dokumenthanteringsplanen?", "sv").rules[:1] == ("R11",)


def test_a_platforms_name_is_one_term_and_never_enough() -> None:
    analyzer = Analyzer("sv", [], ["instagram", "insta", "facebook"])
    assert analyzer.stem("insta") == analyzer.stem("facebook") == Analyzer.PLATFORM
    vocabulary = Vocabulary(analyzer, ["facebook", "face", "book"])
    assert vocabulary.corpus_terms("facebook") == [Analyzer.PLATFORM]
    assert not find("Instagram", "sv")
    assert not find("Facebook TikTok YouTube", "en")


def test_a_long_question_is_decided_from_all_of_it() -> None:
    question = (
        "Hej! Jag jobbar som förskollärare på en liten förskola i ytterkanten av staden och vi "
        "har funderat länge på det här med bilder. Vi tog massor av bilder på barnen under "
        "vårfesten, får vi lägga upp dem?"
    )
    assert find(question, "sv").rules[:1] == ("R9",)


@pytest.mark.parametrize(
    "text",
    [
        "Hur tar jag en skärmdump på min Mac?",  # R12's word, a computer question
        "Jag har glömt lösenordet till min dator",  # R6's word, an IT question
        "Hur många följare har vi?",
    ],
)
def test_a_rules_word_in_a_question_the_rules_do_not_answer_cites_nothing(text: str) -> None:
    finding = find(text, "sv")
    assert not finding and finding.outside  # outside.toml: closer to what no rule answers


def test_letters_typed_the_wrong_way_round_are_corrected() -> None:
    vocabulary = Vocabulary(Analyzer("sv", []), ["planen", "film"])
    assert vocabulary.query_terms("plnaen") == vocabulary.query_terms("planen")
    assert vocabulary.query_terms("flim") == vocabulary.query_terms("film")


def test_the_index_is_built_once_per_language() -> None:
    assert index("sv") is index("sv")
