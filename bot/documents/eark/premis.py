"""The preservation metadata: PREMIS 3 (metadata/preservation/premis.xml).

The package's PREMIS names every file of the representation as an object with its fixity
(SHA-256), size, format and original name; the events that made them (a capture Kanalkollen
took, a file a person sent in the chat, the packaging itself), each with its time and its
agents: Kanalkollen with its version as the executing program, and the person. A
representation's own PREMIS (representations/rep1/metadata/preservation/premis.xml) holds its
objects only.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from lxml import etree

from bot.documents.eark.model import PREMIS_NS, XSI_NS, PackageFacts, PackedFile

SCHEMA_LOCATION = "schemas/premis.xsd"
_NAMESPACE = uuid.UUID("6f1c3d2e-8a4b-5c6d-9e0f-a1b2c3d4e5f6")  # our events' UUIDv5 space


def _el(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, f"{{{PREMIS_NS}}}{name}")
    if text is not None:
        element.text = text
    return element


def _identifier(parent: etree._Element, kind: str, id_type: str, value: str) -> None:
    holder = _el(parent, f"{kind}Identifier")
    _el(holder, f"{kind}IdentifierType", id_type)
    _el(holder, f"{kind}IdentifierValue", value)


def _time(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def premis_xml(
    facts: PackageFacts,
    objid: str,
    files: list[PackedFile],
    *,
    events: bool = True,
    depth: int = 2,
) -> bytes:
    """The PREMIS document: objects with fixity, and (for the package) events and agents.

    `depth` is how many folders the document lies below the package root (for its schema)."""
    root = etree.Element(
        f"{{{PREMIS_NS}}}premis", nsmap={"premis": PREMIS_NS, "xsi": XSI_NS}, version="3.0"
    )
    root.set(f"{{{XSI_NS}}}schemaLocation", f"{PREMIS_NS} {'../' * depth}{SCHEMA_LOCATION}")
    planned = _events(facts, objid, files) if events else []
    for packed in files:
        linked = [event_id for event_id, _, _, _, targets in planned if packed.path in targets]
        _object(root, packed, linked)
    for event_id, event_type, when, detail, targets in planned:
        event = _el(root, "event")
        _identifier(event, "event", "UUID", event_id)
        _el(event, "eventType", event_type)
        _el(event, "eventDateTime", _time(when))
        _el(_el(event, "eventDetailInformation"), "eventDetail", detail)
        _el(_el(event, "eventOutcomeInformation"), "eventOutcome", "success")
        for agent_id, role in (
            (_software_id(facts), "executing program"),
            ("person", "implementer"),
        ):
            link = _el(event, "linkingAgentIdentifier")
            _el(link, "linkingAgentIdentifierType", "local")
            _el(link, "linkingAgentIdentifierValue", agent_id)
            _el(link, "linkingAgentRole", role)
        for target in targets:
            link = _el(event, "linkingObjectIdentifier")
            _el(link, "linkingObjectIdentifierType", "local")
            _el(link, "linkingObjectIdentifierValue", target)
            _el(link, "linkingObjectRole", "outcome")
    if events:
        _agents(root, facts)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _object(root: etree._Element, packed: PackedFile, events: list[str]) -> None:
    item = _el(root, "object")
    item.set(f"{{{XSI_NS}}}type", "premis:file")
    _identifier(item, "object", "local", packed.path)
    characteristics = _el(item, "objectCharacteristics")
    _el(characteristics, "compositionLevel", "0")
    fixity = _el(characteristics, "fixity")
    _el(fixity, "messageDigestAlgorithm", "SHA-256")
    _el(fixity, "messageDigest", packed.sha256)
    _el(characteristics, "size", str(packed.size))
    _el(_el(_el(characteristics, "format"), "formatDesignation"), "formatName", packed.mimetype)
    if packed.original_name is not None:
        _el(item, "originalName", packed.original_name)
    for event_id in events:
        link = _el(item, "linkingEventIdentifier")
        _el(link, "linkingEventIdentifierType", "UUID")
        _el(link, "linkingEventIdentifierValue", event_id)


def _software_id(facts: PackageFacts) -> str:
    return f"{facts.software.lower()}-{facts.software_version}"


Planned = tuple[str, str, datetime, str, list[str]]


def _events(facts: PackageFacts, objid: str, files: list[PackedFile]) -> list[Planned]:
    """(id, type, time, detail, object paths): one per file's origin, one for the packaging."""
    planned: list[Planned] = []
    for packed in files:
        original = packed.original
        if original is None:
            continue
        event_id = str(uuid.uuid5(_NAMESPACE, f"{objid}:{packed.path}"))
        if original.source_url is not None:
            status = f", HTTP status {original.http_status}" if original.http_status else ""
            detail = f"Captured by {facts.software} from {original.source_url}{status}"
            planned.append((event_id, "capture", packed.created, detail, [packed.path]))
        else:
            detail = f"Sent in the Teams chat and stored by {facts.software} with its SHA-256"
            planned.append((event_id, "transfer", packed.created, detail, [packed.path]))
    planned.append(
        (
            str(uuid.uuid5(_NAMESPACE, f"{objid}:packaging")),
            "information package creation",
            facts.completed_at,
            f"E-ARK SIP 2.1.0 made by {facts.software} {facts.software_version} ({facts.purpose})",
            [packed.path for packed in files],
        )
    )
    return planned


def _agents(root: etree._Element, facts: PackageFacts) -> None:
    software = _el(root, "agent")
    _identifier(software, "agent", "local", _software_id(facts))
    _el(software, "agentName", facts.software)
    _el(software, "agentType", "software")
    _el(software, "agentVersion", facts.software_version)
    person = _el(root, "agent")
    _identifier(person, "agent", "local", "person")
    _el(person, "agentName", facts.documented_by)
    _el(person, "agentType", "person")
    _el(person, "agentNote", f"{facts.unit}, {facts.administration}")
