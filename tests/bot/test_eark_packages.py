"""E-ARK SIP 2.1.0 packages (issue 27): what the E-ARK validator and our own checks say.

Every package built here passes eark-validator 1.1.3 (specification V2.1.0) with no error but
SIP14 (tests/support/eark.py says why), and our own checks (bot/documents/eark/check.py).
"""

from __future__ import annotations

import hashlib
import io
import uuid
import zipfile
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from bot.documents.eark.check import check_package
from bot.documents.eark.model import SIP_PROFILE, PackageFacts, PackageFile
from bot.documents.eark.sip import build_sip
from tests.support.eark import KNOWN_VALIDATOR_FLAW, validator_errors

START_PAGE = b"\x89PNG\r\n\x1a\n" + b"start page" * 50
POST = b"\xff\xd8\xff\xe0" + b"a post" * 40
PAGE_PDF = b"%PDF-1.7\n" + b"page" * 30
WARC = b"WARC/1.1\r\nWARC-Type: warcinfo\r\n\r\n" + b"record" * 10
COMPLETED_AT = datetime(2026, 9, 1, 10, 15, 42, tzinfo=timezone(timedelta(hours=2)))
NS = {
    "mets": "http://www.loc.gov/METS/",
    "csip": "https://DILCIS.eu/XML/METS/CSIPExtensionMETS",
    "xlink": "http://www.w3.org/1999/xlink",
    "premis": "http://www.loc.gov/premis/v3",
    "dc": "http://purl.org/dc/elements/1.1/",
}


def file(name: str, data: bytes, **facts: Any) -> PackageFile:
    return PackageFile(name, data, hashlib.sha256(data).hexdigest(), **facts)


def facts(**overrides: Any) -> PackageFacts:
    values: dict[str, Any] = {
        "purpose": "documentation",
        "channel_name": "Kulturskolan på Instagram",
        "platform": "Instagram",
        "address": "https://www.instagram.com/kulturskolan",
        "administration": "Kultur- och fritidsförvaltningen",
        "unit": "Kulturskolan",
        "period_start": date(2026, 3, 2),
        "period_end": date(2026, 9, 1),
        "documented_by": "Redaktör Ett",
        "completed_at": COMPLETED_AT,
        "note": "Profilbilden är bytt.\nÖvrigt oförändrat.",
        "submission_agreement": "LÖ 2026:3",
        "reference_code": "KFN 2026/112",
        "version": "0.1.0",
    } | overrides
    return PackageFacts(**values)


def documentation_files() -> list[PackageFile]:
    captured = {"source_url": "https://www.instagram.com/kulturskolan", "http_status": 200}
    at = "2026-09-01T08:10:00+00:00"
    return [
        file("Startsida.png", START_PAGE, start_page=True, uploaded_by="Redaktör Ett"),
        file("Inlägg åäö.jpg", POST),
        file("capture.pdf", PAGE_PDF, captured_at=at, content_type="application/pdf", **captured),
        file("capture.warc", WARC, captured_at=at, content_type="application/warc", **captured),
    ]


def sip(**overrides: Any) -> tuple[str, bytes]:
    return build_sip(facts(**overrides), documentation_files())


def entries(package: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        assert archive.testzip() is None
        return {info.filename: archive.read(info) for info in archive.infolist()}


def rezip(contents: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in contents.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def mets_of(package: bytes, objid: str, path: str = "METS.xml") -> etree._Element:
    return etree.fromstring(entries(package)[f"{objid}/{path}"])


@pytest.mark.parametrize("purpose", ["documentation", "closing", "capture"])
def test_every_kind_of_package_passes_the_eark_validator_and_our_checks(
    purpose: str, tmp_path: Path
) -> None:
    # R11, R12, R13: the capture before a removal, the half-year documentation, the closing.
    _, package = sip(purpose=purpose)

    assert validator_errors(package, tmp_path) == []
    assert check_package(package) == []


def test_sip14_is_the_only_rule_the_validator_reports_and_the_reason_stands(
    tmp_path: Path,
) -> None:
    objid, package = sip()

    errors = validator_errors(package, tmp_path, excepted=())
    assert [error.split(":")[0] for error in errors] == [KNOWN_VALIDATOR_FLAW]
    # SIP14 wants a plain NOTETYPE; the note carries csip:NOTETYPE as CSIP16 requires, and a
    # plain NOTETYPE is not a METS attribute: our schema check would refuse it.
    [note] = mets_of(package, objid).iterfind(".//mets:agent[@ROLE='CREATOR']/mets:note", NS)
    assert note.get(f"{{{NS['csip']}}}NOTETYPE") == "SOFTWARE VERSION"
    contents = entries(package)
    mets_path = f"{objid}/METS.xml"
    contents[mets_path] = contents[mets_path].replace(
        b'csip:NOTETYPE="SOFTWARE VERSION"',
        b'csip:NOTETYPE="SOFTWARE VERSION" NOTETYPE="IDENTIFICATIONCODE"',
    )
    assert any("NOTETYPE" in problem for problem in check_package(rezip(contents)))


def test_the_layout_is_the_csip_one_under_a_root_folder_named_by_the_objid() -> None:
    objid, package = sip()

    names = sorted(entries(package))
    assert all(name.startswith(f"{objid}/") for name in names)
    inside = [name.removeprefix(f"{objid}/") for name in names]
    assert inside == [
        "METS.xml",
        "documentation/index.txt",
        "documentation/note.txt",
        "metadata/descriptive/dc.xml",
        "metadata/preservation/premis.xml",
        "representations/rep1/METS.xml",
        "representations/rep1/data/Inlagg_aao.jpg",
        "representations/rep1/data/Startsida.png",
        "representations/rep1/data/capture.pdf",
        "representations/rep1/data/capture.warc",
        "representations/rep1/metadata/preservation/premis.xml",
        "schemas/DILCISExtensionMETS.xsd",
        "schemas/dc.xsd",
        "schemas/mets.xsd",
        "schemas/premis.xsd",
        "schemas/simpledc.xsd",
        "schemas/xlink.xsd",
        "schemas/xml.xsd",
    ]
    assert str(uuid.UUID(objid)) == objid


def test_the_mets_header_names_the_profile_the_agents_and_the_policy_records() -> None:
    objid, package = sip()
    mets = mets_of(package, objid)

    assert mets.get("OBJID") == objid
    assert mets.get("TYPE") == "Websites"
    assert mets.get("PROFILE") == SIP_PROFILE
    assert mets.get(f"{{{NS['csip']}}}CONTENTINFORMATIONTYPE") == "OTHER"
    [header] = mets.iterfind("mets:metsHdr", NS)
    assert header.get("CREATEDATE") == "2026-09-01T08:15:42+00:00"
    assert header.get(f"{{{NS['csip']}}}OAISPACKAGETYPE") == "SIP"
    agents = [
        (a.get("ROLE"), a.get("TYPE"), a.findtext("mets:name", namespaces=NS))
        for a in header.iterfind("mets:agent", NS)
    ]
    assert agents == [
        ("CREATOR", "OTHER", "Kanalkollen"),
        ("ARCHIVIST", "ORGANIZATION", "Kultur- och fritidsförvaltningen"),
        ("OTHER", "ORGANIZATION", "Kultur- och fritidsförvaltningen"),
    ]
    records = {r.get("TYPE"): r.text for r in header.iterfind("mets:altRecordID", NS)}
    assert records == {"SUBMISSIONAGREEMENT": "LÖ 2026:3", "REFERENCECODE": "KFN 2026/112"}
    # Without them in the policy there are none.
    objid, bare = sip(submission_agreement="", reference_code="")
    assert mets_of(bare, objid).find(".//mets:altRecordID", NS) is None


def test_every_file_has_its_type_size_time_and_sha256_in_the_mets() -> None:
    objid, package = sip()
    contents = entries(package)
    rep = mets_of(package, objid, "representations/rep1/METS.xml")

    seen = {}
    for item in rep.iterfind(".//mets:file", NS):
        href = item.find("mets:FLocat", NS).get(f"{{{NS['xlink']}}}href")
        data = contents[f"{objid}/representations/rep1/{href}"]
        assert item.get("SIZE") == str(len(data))
        assert item.get("CHECKSUM") == hashlib.sha256(data).hexdigest()
        assert item.get("CHECKSUMTYPE") == "SHA-256"
        seen[href] = (item.get("MIMETYPE"), item.get("CREATED"))
    assert seen == {
        "data/Inlagg_aao.jpg": ("image/jpeg", "2026-09-01T08:15:42+00:00"),
        "data/Startsida.png": ("image/png", "2026-09-01T08:15:42+00:00"),
        "data/capture.pdf": ("application/pdf", "2026-09-01T08:10:00+00:00"),
        "data/capture.warc": ("application/warc", "2026-09-01T08:10:00+00:00"),
    }


def test_descriptive_and_preservation_metadata_tell_who_what_and_when() -> None:
    objid, package = sip()
    contents = entries(package)
    dc = etree.fromstring(contents[f"{objid}/metadata/descriptive/dc.xml"])
    values = [(element.tag.split("}")[1], element.text) for element in dc]
    assert ("publisher", "Kultur- och fritidsförvaltningen") in values
    assert ("creator", "Kulturskolan") in values
    assert ("contributor", "Redaktör Ett") in values
    assert ("source", "Instagram") in values
    assert ("identifier", "https://www.instagram.com/kulturskolan") in values
    assert ("coverage", "2026-03-02/2026-09-01") in values

    premis = etree.fromstring(contents[f"{objid}/metadata/preservation/premis.xml"])
    events = {
        e.findtext("premis:eventType", namespaces=NS): e
        for e in premis.iterfind("premis:event", NS)
    }
    assert set(events) == {"capture", "transfer", "information package creation"}
    packaging = events["information package creation"]
    assert packaging.findtext("premis:eventDateTime", namespaces=NS) == "2026-09-01T08:15:42+00:00"
    agents = {
        a.findtext("premis:agentType", namespaces=NS): a
        for a in premis.iterfind("premis:agent", NS)
    }
    assert agents["software"].findtext("premis:agentVersion", namespaces=NS) == "0.1.0"
    assert agents["person"].findtext("premis:agentName", namespaces=NS) == "Redaktör Ett"
    fixity = {
        o.findtext(".//premis:objectIdentifierValue", namespaces=NS): o.findtext(
            ".//premis:messageDigest", namespaces=NS
        )
        for o in premis.iterfind("premis:object", NS)
    }
    assert (
        fixity["representations/rep1/data/Startsida.png"] == hashlib.sha256(START_PAGE).hexdigest()
    )


def test_bad_input_unknown_types_unsafe_names_and_equal_names_all_stay(tmp_path: Path) -> None:
    odd = b"\x00\x01 something nobody knows"
    files = [
        file("data.qqq", odd),
        file("Bild: <1>?.png", START_PAGE),
        file("same.jpg", POST),
        file("same.jpg", POST + b"other"),
    ]
    objid, package = build_sip(facts(), files)

    assert validator_errors(package, tmp_path) == []
    assert check_package(package) == []
    rep = mets_of(package, objid, "representations/rep1/METS.xml")
    types = {
        item.find("mets:FLocat", NS).get(f"{{{NS['xlink']}}}href"): item.get("MIMETYPE")
        for item in rep.iterfind(".//mets:file", NS)
    }
    assert types == {
        "data/Bild_1_.png": "image/png",
        "data/data.qqq": "application/octet-stream",
        "data/same.jpg": "image/jpeg",
        "data/same_2.jpg": "image/jpeg",
    }
    premis = etree.fromstring(entries(package)[f"{objid}/metadata/preservation/premis.xml"])
    names = {
        o.findtext("premis:originalName", namespaces=NS)
        for o in premis.iterfind("premis:object", NS)
    }
    assert "Bild: <1>?.png" in names


def test_the_same_input_gives_the_same_bytes() -> None:
    assert sip() == sip()
    assert sip()[0] != sip(channel_name="Another")[0]


def test_a_file_whose_checksum_does_not_match_is_refused() -> None:
    wrong = replace(file("a.png", START_PAGE), sha256="0" * 64)
    with pytest.raises(ValueError, match="SHA-256"):
        build_sip(facts(), [wrong])


def test_our_checks_find_a_changed_byte_a_missing_file_and_an_extra_file() -> None:
    objid, package = sip()
    photo = f"{objid}/representations/rep1/data/Startsida.png"

    changed = entries(package)
    changed[photo] = changed[photo][:-1] + b"!"
    assert check_package(rezip(changed)) == [
        "representations/rep1/data/Startsida.png: its SHA-256 is not the one "
        "representations/rep1/METS.xml gives"
    ]

    missing = entries(package)
    del missing[photo]
    assert check_package(rezip(missing)) == [
        "representations/rep1/data/Startsida.png: named in representations/rep1/METS.xml "
        "but not in the package"
    ]

    extra = entries(package) | {f"{objid}/representations/rep1/data/smuggled.txt": b"hi"}
    assert check_package(rezip(extra)) == [
        "representations/rep1/data/smuggled.txt: in the package but named in no METS"
    ]


def test_our_checks_find_a_mets_the_schema_refuses() -> None:
    objid, package = sip()
    contents = entries(package)
    rep = f"{objid}/representations/rep1/METS.xml"
    contents[rep] = contents[rep].replace(b'CHECKSUMTYPE="SHA-256"', b'CHECKSUMTYPE="SHA-257"', 1)

    problems = check_package(rezip(contents))
    assert any("not valid against the mets schema" in p and "SHA-257" in p for p in problems)


def test_our_checks_read_an_unpacked_folder_too(tmp_path: Path) -> None:
    objid, package = sip()
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        archive.extractall(tmp_path)
    assert check_package(tmp_path / objid) == []
    (tmp_path / objid / "documentation" / "index.txt").write_text("changed")
    assert check_package(tmp_path / objid) != []
