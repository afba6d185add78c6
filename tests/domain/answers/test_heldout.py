"""Issue 26: the answerer on questions it was not tuned on.

The questions (tests/domain/answers/questions_*.toml) were written in the voices of teachers,
principals, youth workers, preschool staff, communicators and archivists before the answerer
was reworked, and split once into a tuning part and a held-out part. The knowledge files were
tuned on the tuning part only; the held-out part is scored here and never edited.
"""

from __future__ import annotations

from evaluation import HELDOUT, TUNING, questions, score  # type: ignore[import-not-found]

from domain.answers import knowledge

RULE_IDS = {f"R{n}" for n in range(1, 14)}


def test_the_question_files_are_as_the_issue_asks() -> None:
    tuning, heldout = questions(TUNING), questions(HELDOUT)
    every = tuning + heldout
    on_topic = [q for q in every if q.expected]
    assert len(on_topic) >= 300
    assert len(every) - len(on_topic) >= 40
    assert {q.expected for q in on_topic} == RULE_IDS
    assert {q.language for q in every} == {"sv", "en"}
    assert sum(q.language == "en" for q in every) >= 40
    # Split once: no question is in both parts, nor twice in one.
    texts = [q.text for q in every]
    assert len(set(texts)) == len(texts)
    assert len(heldout) > len(tuning)


def test_held_out_questions_get_the_right_rule_and_off_topic_ones_none() -> None:
    found = score(HELDOUT)
    print(f"held-out: {found}")  # shown with pytest -s (issue 26 asks for the figure)
    # Only the figures, never the questions missed: nobody tunes on the held-out part.
    assert found.answered_off_topic == 0, str(found)
    assert found.accuracy >= 0.90, str(found)


def test_the_tuning_part_is_answered_at_least_as_well() -> None:
    found = score(TUNING)
    print(f"tuning: {found}")
    assert found.answered_off_topic == 0, [(q.text, rules) for q, rules in found.misses]
    assert found.accuracy >= 0.90, found


def test_no_answer_cites_more_than_the_limit() -> None:
    for question in questions(HELDOUT):
        assert len(knowledge.find(question.text, question.language).rules) <= knowledge.MAX_CITED
