"""Builds an E-ARK SIP 2.1.0 as one zip: every package the bot delivers (R11, R12, R13).

    <OBJID>/
      METS.xml                                   the package (CSIP + SIP profile)
      metadata/descriptive/dc.xml                Dublin Core
      metadata/preservation/premis.xml           PREMIS 3: objects, events, agents
      documentation/index.txt                    the package in words, for people
      documentation/note.txt                     the editor's note, where there is one
      schemas/*.xsd                              every schema the XML files name
      representations/rep1/METS.xml              the representation
      representations/rep1/metadata/preservation/premis.xml
      representations/rep1/data/<files>          screenshots, captures (PNG, PDF, WARC), export

The OBJID is a UUID derived from the content, and every zip entry has the completion time as
its timestamp: the same input gives the same bytes.

A data file may be a Path: its SHA-256, size and first bytes (for the METS and PREMIS) are read
in chunks and `write_sip` copies it into the zip in chunks, so a package of large files is never
held whole in memory. `build_sip` gives the same bytes in memory.
"""

from __future__ import annotations

import hashlib
import io
import uuid
import zipfile
from dataclasses import replace
from datetime import UTC, datetime
from importlib import resources
from typing import BinaryIO

from bot.documents.eark import descriptive, mets, premis
from bot.documents.eark.documentation import index_text
from bot.documents.eark.model import PackageFacts, PackageFile, PackedFile
from bot.documents.eark.names import content_type_of, safe_name, unique_name
from bot.documents.package_zip import Data, head_of, sha256_of, size_of, write_entry, zip_time

REP_BASE = f"representations/{mets.REP_NAME}/"
DATA_FOLDER = REP_BASE + "data/"
SCHEMA_FILES = (
    "mets.xsd",
    "xlink.xsd",
    "DILCISExtensionMETS.xsd",
    "premis.xsd",
    "simpledc.xsd",
    "dc.xsd",
    "xml.xsd",
)
_OBJID_SPACE = uuid.UUID("0b5e7c2a-4f61-5d8e-9a3b-7c1d2e3f4a5b")


def schema_bytes(name: str) -> bytes:
    """One of the bundled schemas (bot/documents/eark/schemas/)."""
    return resources.files("bot.documents.eark").joinpath("schemas", name).read_bytes()


def package_id(facts: PackageFacts, files: list[PackageFile]) -> str:
    """The OBJID: a UUID of what the package holds, so a rebuilt package keeps its id."""
    checksums = sorted(file.sha256.lower() for file in files)
    facts_seed = [facts.purpose, facts.channel_name, facts.completed_at.isoformat()]
    seed = "|".join([*facts_seed, *checksums])
    return str(uuid.uuid5(_OBJID_SPACE, seed))


def _created(file: PackageFile, fallback: datetime) -> datetime:
    if file.created is not None:
        return file.created.astimezone(UTC)
    if file.captured_at:
        try:
            moment = datetime.fromisoformat(file.captured_at)
        except ValueError:
            return fallback
        if moment.tzinfo is not None:
            return moment.astimezone(UTC)
    return fallback


def _data_files(facts: PackageFacts, files: list[PackageFile]) -> list[PackedFile]:
    """Checks each file's SHA-256 and gives it a unique safe name, sorted by name."""
    named = []
    for position, file in enumerate(files):
        if sha256_of(file.data) != file.sha256.lower():
            raise ValueError(f"the SHA-256 of file {position + 1} does not match its data")
        named.append((safe_name(file.name), file.sha256.lower(), position, file))
    # Name and checksum first: the numbering of equal names does not depend on the order.
    named.sort(key=lambda item: (item[0].casefold(), item[0], item[1], item[2]))
    taken: set[str] = set()
    packed = []
    for number, (name, sha256, _, file) in enumerate(named, start=1):
        unique = unique_name(name, taken)
        taken.add(unique.casefold())
        packed.append(
            PackedFile(
                path=DATA_FOLDER + unique,
                data=file.data,
                sha256=sha256,
                size=size_of(file.data),
                mimetype=content_type_of(head_of(file.data), file.content_type, file.name),
                created=_created(file, facts.completed_at),
                file_id=f"file-data-{number}",
                original=file,
            )
        )
    return packed


def _own(path: str, data: bytes, mimetype: str, file_id: str, at: datetime) -> PackedFile:
    return PackedFile(
        path=path,
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        mimetype=mimetype,
        created=at,
        file_id=file_id,
    )


def build_sip(
    facts: PackageFacts, files: list[PackageFile], *, objid: str | None = None
) -> tuple[str, bytes]:
    """Returns the package's OBJID and its zip. Times are written in UTC, so that a package
    built again from the database (kanalkollen records export) is the same, byte for byte."""
    buffer = io.BytesIO()
    objid = write_sip(buffer, facts, files, objid=objid)
    return objid, buffer.getvalue()


def write_sip(
    out: BinaryIO, facts: PackageFacts, files: list[PackageFile], *, objid: str | None = None
) -> str:
    """Writes the package's zip to `out` (a seekable file) and returns its OBJID; the data files
    that are paths are read in chunks. The same input gives the same bytes as `build_sip`."""
    if not files:
        raise ValueError("a records package needs at least one file")
    facts = replace(facts, completed_at=facts.completed_at.astimezone(UTC))
    objid = objid or package_id(facts, files)
    at = facts.completed_at
    label = descriptive.title_of(facts)
    data = _data_files(facts, files)
    rep_premis = _own(
        REP_BASE + "metadata/preservation/premis.xml",
        premis.premis_xml(facts, objid, data, events=False, depth=4),
        "application/xml",
        "md-rep-premis",
        at,
    )
    rep_mets = _own(
        REP_BASE + "METS.xml",
        mets.representation_mets(facts, objid, label, preservation=rep_premis, data=data),
        "application/xml",
        f"file-{mets.REP_NAME}-mets",
        at,
    )
    documentation = [
        _own(
            "documentation/index.txt",
            index_text(facts, objid, data).encode("utf-8"),
            "text/plain",
            "file-doc-1",
            at,
        )
    ]
    if facts.note:
        note = facts.note.rstrip("\n") + "\n"
        documentation.append(
            _own("documentation/note.txt", note.encode("utf-8"), "text/plain", "file-doc-2", at)
        )
    schemas = [
        _own(f"schemas/{name}", schema_bytes(name), "application/xml", f"file-schema-{n}", at)
        for n, name in enumerate(SCHEMA_FILES, start=1)
    ]
    dc = _own(
        "metadata/descriptive/dc.xml",
        descriptive.descriptive_xml(facts, objid),
        "application/xml",
        "md-dc",
        at,
    )
    preservation = _own(
        "metadata/preservation/premis.xml",
        premis.premis_xml(facts, objid, data),
        "application/xml",
        "md-premis",
        at,
    )
    root_mets = mets.package_mets(
        facts,
        objid,
        label,
        descriptive=dc,
        preservation=preservation,
        documentation=documentation,
        schemas=schemas,
        representation_mets=rep_mets,
    )
    entries: dict[str, Data] = {"METS.xml": root_mets}
    for packed in [dc, preservation, *documentation, *schemas, rep_mets, rep_premis, *data]:
        entries[packed.path] = packed.data
    _zip(out, objid, entries, at)
    return objid


def _zip(out: BinaryIO, objid: str, entries: dict[str, Data], at: datetime) -> None:
    """The entries in sorted order; the data files stored as they are, the rest deflated."""
    stamp = zip_time(at)
    with zipfile.ZipFile(out, "w") as archive:
        for path in sorted(entries):
            stored = path.startswith(DATA_FOLDER)
            compression = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            write_entry(archive, f"{objid}/{path}", entries[path], stamp, compression)
