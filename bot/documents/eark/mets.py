"""The METS documents: the package's METS.xml and the representation's.

Made to E-ARK CSIP 2.1.0 and SIP 2.1.0 as eark-validator 1.1.3 reads them: @TYPE from the
content-category vocabulary, csip:CONTENTINFORMATIONTYPE "OTHER" with our own name on the
package and on every file group, a metsHdr with CREATEDATE and csip:OAISPACKAGETYPE "SIP", the
software as the only agent with ROLE CREATOR (its version in a SOFTWARE VERSION note), the
administration as the archival creator (ARCHIVIST) and as the submitter (OTHER/SUBMITTER),
altRecordIDs for the submission agreement and the reference code, a fileSec whose every file
has MIMETYPE, SIZE, CREATED and CHECKSUM (SHA-256), and a structMap of TYPE PHYSICAL and LABEL
CSIP whose "Representations" division holds the representation's division.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from lxml import etree

from bot.documents.eark.model import (
    CONTENT_INFORMATION,
    CSIP_NS,
    METS_NS,
    SIP_PROFILE,
    XLINK_NS,
    XSI_NS,
    PackageFacts,
    PackedFile,
)

# The content category (CSIP vocabulary): the captured pages and screenshots of a channel
# are a website's; a closing holds the platform's export too.
_TYPES = {"documentation": "Websites", "capture": "Websites", "closing": "Mixed"}
_NSMAP = {"mets": METS_NS, "xlink": XLINK_NS, "csip": CSIP_NS, "xsi": XSI_NS}
REP_NAME = "rep1"


def _m(name: str) -> str:
    return f"{{{METS_NS}}}{name}"


def _c(name: str) -> str:
    return f"{{{CSIP_NS}}}{name}"


def _x(name: str) -> str:
    return f"{{{XLINK_NS}}}{name}"


def _schema_location(depth: int) -> str:
    up = "../" * depth
    return " ".join(
        (
            f"{METS_NS} {up}schemas/mets.xsd",
            f"{XLINK_NS} {up}schemas/xlink.xsd",
            f"{CSIP_NS} {up}schemas/DILCISExtensionMETS.xsd",
        )
    )


def _other_content(element: etree._Element) -> None:
    element.set(_c("CONTENTINFORMATIONTYPE"), "OTHER")
    element.set(_c("OTHERCONTENTINFORMATIONTYPE"), CONTENT_INFORMATION)


def _file_attributes(element: etree._Element, packed: PackedFile) -> None:
    element.set("MIMETYPE", packed.mimetype)
    element.set("SIZE", str(packed.size))
    element.set("CREATED", packed.created.isoformat(timespec="seconds"))
    element.set("CHECKSUM", packed.sha256)
    element.set("CHECKSUMTYPE", "SHA-256")


def _href(path: str, base: str) -> str:
    """The file's path relative to the METS that names it."""
    return path.removeprefix(base)


@dataclass(frozen=True)
class _Header:
    facts: PackageFacts
    objid: str
    depth: int  # folders below the package root


def _mets(header: _Header, label: str, objid: str) -> etree._Element:
    facts = header.facts
    root = etree.Element(_m("mets"), nsmap=_NSMAP)
    root.set("OBJID", objid)
    root.set("TYPE", _TYPES[facts.purpose])
    root.set("LABEL", label)
    root.set("PROFILE", SIP_PROFILE)
    _other_content(root)
    root.set(f"{{{XSI_NS}}}schemaLocation", _schema_location(header.depth))
    created = facts.completed_at.isoformat(timespec="seconds")
    hdr = etree.SubElement(root, _m("metsHdr"), CREATEDATE=created, LASTMODDATE=created)
    hdr.set("RECORDSTATUS", "NEW")
    hdr.set(_c("OAISPACKAGETYPE"), "SIP")
    software = etree.SubElement(hdr, _m("agent"), ROLE="CREATOR", TYPE="OTHER")
    software.set("OTHERTYPE", "SOFTWARE")
    etree.SubElement(software, _m("name")).text = facts.software
    note = etree.SubElement(software, _m("note"))
    note.text = facts.software_version
    note.set(_c("NOTETYPE"), "SOFTWARE VERSION")
    # The administration created the records (arkivbildare) and submits them.
    creator = etree.SubElement(hdr, _m("agent"), ROLE="ARCHIVIST", TYPE="ORGANIZATION")
    etree.SubElement(creator, _m("name")).text = facts.administration
    submitter = etree.SubElement(hdr, _m("agent"), ROLE="OTHER", TYPE="ORGANIZATION")
    submitter.set("OTHERROLE", "SUBMITTER")
    etree.SubElement(submitter, _m("name")).text = facts.administration
    if facts.submission_agreement:
        etree.SubElement(
            hdr, _m("altRecordID"), TYPE="SUBMISSIONAGREEMENT"
        ).text = facts.submission_agreement
    if facts.reference_code:
        etree.SubElement(hdr, _m("altRecordID"), TYPE="REFERENCECODE").text = facts.reference_code
    return root


def _md_ref(parent: etree._Element, packed: PackedFile, mdtype: str, base: str) -> None:
    ref = etree.SubElement(parent, _m("mdRef"), LOCTYPE="URL", MDTYPE=mdtype)
    ref.set(_x("type"), "simple")
    ref.set(_x("href"), _href(packed.path, base))
    _file_attributes(ref, packed)


def _file_group(
    parent: etree._Element, use: str, group_id: str, files: Iterable[PackedFile], base: str
) -> None:
    group = etree.SubElement(parent, _m("fileGrp"), ID=group_id, USE=use)
    _other_content(group)
    for packed in files:
        item = etree.SubElement(group, _m("file"), ID=packed.file_id)
        _file_attributes(item, packed)
        location = etree.SubElement(item, _m("FLocat"), LOCTYPE="URL")
        location.set(_x("type"), "simple")
        location.set(_x("href"), _href(packed.path, base))


def _division(
    parent: etree._Element, label: str, div_id: str, files: Iterable[PackedFile]
) -> etree._Element:
    division = etree.SubElement(parent, _m("div"), ID=div_id, LABEL=label)
    for packed in files:
        etree.SubElement(division, _m("fptr"), FILEID=packed.file_id)
    return division


def _serialise(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def package_mets(
    facts: PackageFacts,
    objid: str,
    label: str,
    *,
    descriptive: PackedFile,
    preservation: PackedFile,
    documentation: list[PackedFile],
    schemas: list[PackedFile],
    representation_mets: PackedFile,
) -> bytes:
    """The package's METS.xml."""
    root = _mets(_Header(facts, objid, 0), label, objid)
    created = facts.completed_at.isoformat(timespec="seconds")
    dmd = etree.SubElement(root, _m("dmdSec"), ID="dmd-dc", CREATED=created, STATUS="CURRENT")
    _md_ref(dmd, descriptive, "DC", "")
    amd = etree.SubElement(root, _m("amdSec"), ID="amd")
    digiprov = etree.SubElement(amd, _m("digiprovMD"), ID="digiprov-premis", STATUS="CURRENT")
    _md_ref(digiprov, preservation, "PREMIS", "")
    file_sec = etree.SubElement(root, _m("fileSec"), ID="filesec")
    _file_group(file_sec, "Documentation", "grp-documentation", documentation, "")
    _file_group(file_sec, "Schemas", "grp-schemas", schemas, "")
    rep_use = f"Representations/{REP_NAME}"
    _file_group(file_sec, rep_use, f"grp-{REP_NAME}", [representation_mets], "")
    struct = etree.SubElement(root, _m("structMap"), ID="structmap", TYPE="PHYSICAL", LABEL="CSIP")
    top = etree.SubElement(struct, _m("div"), ID="div-package", LABEL=objid)
    metadata = etree.SubElement(top, _m("div"), ID="div-metadata", LABEL="Metadata")
    metadata.set("DMDID", "dmd-dc")
    metadata.set("ADMID", "digiprov-premis")
    _division(top, "Documentation", "div-documentation", documentation)
    _division(top, "Schemas", "div-schemas", schemas)
    representations = _division(
        top, "Representations", "div-representations", [representation_mets]
    )
    rep = etree.SubElement(representations, _m("div"), ID=f"div-{REP_NAME}", LABEL=rep_use)
    pointer = etree.SubElement(rep, _m("mptr"), LOCTYPE="URL")
    pointer.set(_x("type"), "simple")
    pointer.set(_x("href"), representation_mets.path)
    pointer.set(_x("title"), f"grp-{REP_NAME}")
    return _serialise(root)


def representation_mets(
    facts: PackageFacts,
    objid: str,
    label: str,
    *,
    preservation: PackedFile,
    data: list[PackedFile],
) -> bytes:
    """representations/rep1/METS.xml: the representation's data files and its PREMIS."""
    base = f"representations/{REP_NAME}/"
    root = _mets(_Header(facts, objid, 2), label, f"{objid}-{REP_NAME}")
    amd = etree.SubElement(root, _m("amdSec"), ID="amd")
    digiprov = etree.SubElement(amd, _m("digiprovMD"), ID="digiprov-premis", STATUS="CURRENT")
    _md_ref(digiprov, preservation, "PREMIS", base)
    file_sec = etree.SubElement(root, _m("fileSec"), ID="filesec")
    _file_group(file_sec, "Data", "grp-data", data, base)
    struct = etree.SubElement(root, _m("structMap"), ID="structmap", TYPE="PHYSICAL", LABEL="CSIP")
    top = etree.SubElement(struct, _m("div"), ID="div-representation", LABEL=REP_NAME)
    metadata = etree.SubElement(top, _m("div"), ID="div-metadata", LABEL="Metadata")
    metadata.set("ADMID", "digiprov-premis")
    _division(top, "Data", "div-data", data)
    return _serialise(root)
