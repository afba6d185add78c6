"""The social media plan (R5) as a Word document, read back with python-docx."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

from docx import Document
from docx.document import Document as DocumentObject

from bot.documents.plan_docx import plan_document_view, render_plan_docx
from cards.i18n import Texts
from domain.plan import PlanDocumentView, PlanSections

PLAN = PlanSections(
    goals="Fler unga ska hitta till fritidsgården.\n\nVi vill också nå vårdnadshavare.",
    target_groups="Unga 13–19 år i Åsen.\nDeras vårdnadshavare.",
    content_and_rhythm="Två inlägg i veckan: aktiviteter och öppettider.",
    comment_handling="Redaktörerna svarar vardagar kl. 8–17, inom ett dygn.",
    moderation_and_crisis="Kränkande kommentarer döljs, dokumenteras och anmäls till chefen.",
    evaluation_date=date(2026, 9, 1),
)
CREATED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def make_view(language: str = "sv", **overrides: object) -> PlanDocumentView:
    values: dict[str, object] = {
        "channel_name": "Fritidsgården Åsen",
        "platform": "Instagram",
        "unit": "Fritidsgården Åsen",
        "purpose_and_audience": "Visa vad som händer på gården för unga i området.",
        "plan": PLAN,
        "editors": ("Ada Exempelsson", "Örjan Testberg"),
        "manager": "Chef Chefsson",
        "requester": "Ada Exempelsson",
        "created_at": "2026-03-02",
        **overrides,
    }
    return plan_document_view(Texts(language), **values)  # type: ignore[arg-type]


def headings(document: DocumentObject, level: int) -> list[str]:
    style = "Title" if level == 0 else f"Heading {level}"
    return [p.text for p in document.paragraphs if p.style.name == style]


def facts(document: DocumentObject) -> dict[str, str]:
    (table,) = document.tables
    return {row.cells[0].text: row.cells[1].text for row in table.rows}


def read(data: bytes) -> DocumentObject:
    return Document(io.BytesIO(data))


def test_the_plan_is_a_word_document_in_swedish_by_default() -> None:
    document = read(render_plan_docx(make_view(), Texts("sv"), created=CREATED))
    assert headings(document, 0) == ["Plan för sociala medier"]
    assert headings(document, 2) == [
        "Syfte och målgrupp",
        "Mål",
        "Målgrupper",
        "Innehåll och publiceringstakt",
        "Vem svarar på kommentarer och när",
        "Moderering och krisrutin",
        "Utvärdering",
    ]
    assert facts(document) == {
        "Verksamhet": "Fritidsgården Åsen",
        "Plattform": "Instagram",
        "Kanalens namn": "Fritidsgården Åsen",
        "Ansvarig chef": "Chef Chefsson",
        "Redaktörer": "Ada Exempelsson, Örjan Testberg",
        "Inskickad av": "Ada Exempelsson",
        "Datum": "2026-03-02",
    }
    text = [p.text for p in document.paragraphs]
    assert "Kanalen utvärderas senast 2026-09-01." in text
    assert "Kränkande kommentarer döljs, dokumenteras och anmäls till chefen." in text


def test_the_plan_in_english_has_english_headings() -> None:
    document = read(render_plan_docx(make_view("en"), Texts("en")))
    assert headings(document, 0) == ["Social media plan"]
    assert headings(document, 2) == [
        "Purpose and audience",
        "Goals",
        "Target groups",
        "Content and posting rhythm",
        "Who answers comments and when",
        "Moderation and crisis routine",
        "Evaluation",
    ]
    assert facts(document)["Editors"] == "Ada Exempelsson, Örjan Testberg"
    assert document.core_properties.language == "en-GB"


def test_the_document_describes_itself() -> None:
    document = read(render_plan_docx(make_view(), Texts("sv"), created=CREATED))
    properties = document.core_properties
    assert properties.title == "Plan för sociala medier: Fritidsgården Åsen"
    assert properties.author == "Kanalkollen"
    assert properties.last_modified_by == "Kanalkollen"
    assert properties.language == "sv-SE"
    assert properties.created == CREATED
    default_language = document.styles.element.xpath("w:docDefaults//w:lang/@w:val")
    assert default_language == ["sv-SE"]


def test_blank_lines_make_paragraphs_and_single_lines_stay_together() -> None:
    document = read(render_plan_docx(make_view(), Texts("sv")))
    text = [p.text for p in document.paragraphs]
    assert "Fler unga ska hitta till fritidsgården." in text
    assert "Vi vill också nå vårdnadshavare." in text
    assert "Unga 13–19 år i Åsen.\nDeras vårdnadshavare." in text


def test_an_empty_section_says_so_and_odd_characters_do_not_break_the_document() -> None:
    plan = PlanSections(
        goals="  \n\n ",
        target_groups="Unga\x00 i\x0b Åsen\r\noch\x1f andra",
        content_and_rhythm="x",
        comment_handling="x",
        moderation_and_crisis="x",
        evaluation_date=date(2026, 9, 1),
    )
    document = read(render_plan_docx(make_view(plan=plan), Texts("sv")))
    text = [p.text for p in document.paragraphs]
    assert text[text.index("Mål") + 1] == "Inte ifyllt."
    assert "Unga i Åsen\noch andra" in text


def test_the_same_plan_renders_the_same_document() -> None:
    first = read(render_plan_docx(make_view(), Texts("sv"), created=CREATED))
    second = read(render_plan_docx(make_view(), Texts("sv"), created=CREATED))
    assert [p.text for p in first.paragraphs] == [p.text for p in second.paragraphs]
    assert facts(first) == facts(second)
