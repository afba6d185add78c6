"""The descriptive metadata: Dublin Core (metadata/descriptive/dc.xml).

Dublin Core (ISO 15836, the DCMES 1.1 elements in DCMI's Simple DC container) because METS
names it (MDTYPE "DC"), every e-archive system reads it, and the facts of a delivery fit its
elements without an archival hierarchy the bot does not know (EAD3 would need the fonds and
series: the archivist places the package in the archive's own description when taking it in).

    title        the channel and what the package is ("Dokumentation", "Avslut", "Fångst")
    identifier   the package's OBJID and the channel's public address
    publisher    the administration (the submitting agent)
    creator      the unit that runs the channel
    contributor  the person who documented, captured or closed it
    source       the platform
    coverage     the period covered (W3CDTF interval: start/end)
    date         when the package was made
    description  the editor's note
    type         "Text", "Image" etc. are not chosen; "Collection" (DCMI Type) for the whole
    relation     the reference code and submission agreement, when the policy names them
"""

from __future__ import annotations

from lxml import etree

from bot.documents.eark.model import DC_NS, XSI_NS, PackageFacts

_TITLES = {
    "documentation": "Dokumentation av kanal i sociala medier",
    "closing": "Avslut av kanal i sociala medier",
    "capture": "Fångst före radering i kanal i sociala medier",
}
SCHEMA_LOCATION = "schemas/simpledc.xsd"


def title_of(facts: PackageFacts) -> str:
    """The package's title (Swedish, the records' language): what and which channel."""
    return f"{_TITLES[facts.purpose]}: {facts.channel_name} ({facts.platform})"


def descriptive_xml(facts: PackageFacts, objid: str) -> bytes:
    """The Dublin Core record of the package."""
    root = etree.Element("simpledc", nsmap={"dc": DC_NS, "xsi": XSI_NS})
    # The container has no namespace (DCMI's simpledc.xsd), hence the no-namespace location.
    root.set(f"{{{XSI_NS}}}noNamespaceSchemaLocation", "../../" + SCHEMA_LOCATION)

    def add(element: str, value: str | None) -> None:
        if value:
            child = etree.SubElement(root, f"{{{DC_NS}}}{element}")
            child.text = value

    add("title", title_of(facts))
    add("creator", facts.unit)
    add("subject", "Sociala medier")
    add("description", facts.note)
    add("publisher", facts.administration)
    add("contributor", facts.documented_by)
    add("date", facts.completed_at.isoformat(timespec="seconds"))
    add("type", "Collection")
    add("identifier", f"urn:uuid:{objid}")
    add("identifier", facts.address)
    add("source", facts.platform)
    add("language", "sv")
    if facts.reference_code:
        add("relation", f"Referenskod: {facts.reference_code}")
    if facts.submission_agreement:
        add("relation", f"Leveransöverenskommelse: {facts.submission_agreement}")
    start = facts.period_start.isoformat() if facts.period_start else ""
    add("coverage", f"{start}/{facts.period_end.isoformat()}" if start else None)
    add("coverage", None if start else f"../{facts.period_end.isoformat()}")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
