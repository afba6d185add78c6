"""The social media plan (R5) as a Word document, in the requester's language."""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import Iterable
from datetime import datetime

from docx import Document
from docx.document import Document as DocumentObject
from docx.oxml.ns import qn

from cards.i18n import Texts
from domain.plan import PlanDocumentView, PlanSections
from storage.files import FileStore, StoredFile

DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
AUTHOR = "Kanalkollen"
PLAN_FILE_KIND = "plans"
# Word's language tags, for spelling and hyphenation in the reader's Word.
LANGUAGE_TAGS = {"sv": "sv-SE", "en": "en-GB"}

# Characters that XML 1.0 cannot hold; python-docx refuses them, and a form may contain them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_BLANK_LINES = re.compile(r"\n\s*\n")


def plan_document_view(
    texts: Texts,
    *,
    channel_name: str,
    platform: str,
    unit: str,
    purpose_and_audience: str,
    plan: PlanSections,
    editors: Iterable[str],
    manager: str,
    requester: str,
    created_at: str,
) -> PlanDocumentView:
    """Builds the document's view with headings and the evaluation date in one language."""
    sections = (
        (texts("plan_document.goals"), plan.goals),
        (texts("plan_document.target_groups"), plan.target_groups),
        (texts("plan_document.content_and_rhythm"), plan.content_and_rhythm),
        (texts("plan_document.comment_handling"), plan.comment_handling),
        (texts("plan_document.moderation_and_crisis"), plan.moderation_and_crisis),
        (
            texts("plan_document.evaluation"),
            texts("plan_document.evaluation_text", date=plan.evaluation_date.isoformat()),
        ),
    )
    return PlanDocumentView(
        title=texts("plan_document.title"),
        channel_name=channel_name,
        platform=platform,
        unit=unit,
        purpose_and_audience=purpose_and_audience,
        editors=tuple(editors),
        manager=manager,
        requester=requester,
        created_at=created_at,
        sections=sections,
    )


def plan_filename(view: PlanDocumentView, texts: Texts) -> str:
    """Returns the name a downloader sees, e.g. "Plan för sociala medier - Fritidsgården.docx"."""
    return texts("plan_document.filename", channel=view.channel_name)


def render_plan_docx(
    view: PlanDocumentView, texts: Texts, *, created: datetime | None = None
) -> bytes:
    """Renders the plan: title, a table of facts, then each section under its heading."""
    document = Document()
    _describe(document, view, texts, created)
    document.add_heading(_clean(view.title), level=0)
    document.add_paragraph(_clean(view.channel_name), style="Subtitle")
    document.add_paragraph(_clean(texts("plan_document.intro")))
    _facts(document, view, texts)
    for heading, text in (
        (texts("plan_document.purpose_and_audience"), view.purpose_and_audience),
        *view.sections,
    ):
        document.add_heading(_clean(heading), level=2)
        _paragraphs(document, text, texts)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


async def store_plan_document(
    store: FileStore, view: PlanDocumentView, texts: Texts, *, created: datetime | None = None
) -> StoredFile:
    """Renders the plan off the event loop and stores it as a .docx."""
    data = await asyncio.to_thread(render_plan_docx, view, texts, created=created)
    return await store.put(
        data,
        kind=PLAN_FILE_KIND,
        filename=plan_filename(view, texts),
        content_type=DOCX_CONTENT_TYPE,
    )


def _describe(
    document: DocumentObject, view: PlanDocumentView, texts: Texts, created: datetime | None
) -> None:
    """Sets the core properties and the default language of the text."""
    language = LANGUAGE_TAGS.get(texts.language, texts.language)
    properties = document.core_properties
    properties.title = _clean(f"{view.title}: {view.channel_name}")
    properties.subject = _clean(view.unit)
    properties.author = AUTHOR
    properties.last_modified_by = AUTHOR
    properties.language = language
    properties.revision = 1
    if created is not None:
        properties.created = created
        properties.modified = created
    for lang in document.styles.element.xpath("w:docDefaults/w:rPrDefault/w:rPr/w:lang"):
        lang.set(qn("w:val"), language)


def _facts(document: DocumentObject, view: PlanDocumentView, texts: Texts) -> None:
    """Adds the two-column table of who, what and when."""
    facts = (
        (texts("plan_document.fact_unit"), view.unit),
        (texts("plan_document.fact_platform"), view.platform),
        (texts("plan_document.fact_channel"), view.channel_name),
        (texts("plan_document.fact_manager"), view.manager),
        (texts("plan_document.fact_editors"), ", ".join(view.editors)),
        (texts("plan_document.fact_requester"), view.requester),
        (texts("plan_document.fact_date"), view.created_at),
    )
    table = document.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for label, value in facts:
        label_cell, value_cell = table.add_row().cells
        label_cell.paragraphs[0].add_run(_clean(label)).bold = True
        value_cell.paragraphs[0].add_run(_clean(value))


def _paragraphs(document: DocumentObject, text: str, texts: Texts) -> None:
    """Adds a text as paragraphs (split on blank lines), keeping single line breaks."""
    blocks = [block.strip() for block in _BLANK_LINES.split(_clean(text).strip())]
    blocks = [block for block in blocks if block]
    if not blocks:
        document.add_paragraph().add_run(texts("plan_document.not_filled_in")).italic = True
        return
    for block in blocks:
        # python-docx turns each "\n" into a line break inside the paragraph.
        document.add_paragraph("\n".join(line.rstrip() for line in block.split("\n")))


def _clean(text: str) -> str:
    """Drops characters a .docx cannot hold and normalises line ends."""
    return _NOT_XML.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
