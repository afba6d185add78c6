"""Checks of a package that the E-ARK validator does not make (it never compares the files with
the METS, nor reads a representation's METS):

- every file named in every METS (fileSec files and metadata references) is in the package,
  with the METS's SIZE and SHA-256;
- no file is in the package that no METS names;
- every METS is valid against the METS schema, and the PREMIS and Dublin Core files against
  theirs (the schemas bundled in bot/documents/eark/schemas/, never fetched).

`check_package` takes the zip's bytes, a zip file or an unpacked folder and returns the
problems found, in English, one per line; none means the package is whole. `kanalkollen records
check` runs it. Only the XML files are read whole; the others are measured in chunks.
"""

from __future__ import annotations

import functools
import hashlib
import io
import posixpath
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from urllib.parse import unquote

from lxml import etree

from bot.documents.eark.model import CSIP_NS, DC_NS, METS_NS, PREMIS_NS, XLINK_NS
from bot.documents.package_zip import CHUNK

_SCHEMA_DIR = Path(__file__).parent / "schemas"
_XML_NS = "http://www.w3.org/XML/1998/namespace"
_HREF = f"{{{XLINK_NS}}}href"
# Imported in this order (a namespace imported once is not fetched again by a later import);
# "" includes a schema without a namespace of its own (DCMI's Simple DC container).
_SCHEMAS = {
    "mets": ((XLINK_NS, "xlink.xsd"), (CSIP_NS, "DILCISExtensionMETS.xsd"), (METS_NS, "mets.xsd")),
    "premis": ((PREMIS_NS, "premis.xsd"),),
    "dc": ((_XML_NS, "xml.xsd"), (DC_NS, "dc.xsd"), ("", "simpledc.xsd")),
}


@functools.cache
def _schema(kind: str) -> etree.XMLSchema:
    """A schema from the bundled files: a wrapper imports each namespace from its local file
    first, so that no import reaches for the web."""
    parts = []
    for namespace, name in _SCHEMAS[kind]:
        location = (_SCHEMA_DIR / name).as_uri()
        if namespace:
            parts.append(f'<xs:import namespace="{namespace}" schemaLocation="{location}"/>')
        else:
            parts.append(f'<xs:include schemaLocation="{location}"/>')
    wrapper = (
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">' + "".join(parts) + "</xs:schema>"
    )
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    document = etree.fromstring(wrapper.encode(), parser, base_url=_SCHEMA_DIR.as_uri() + "/")
    return etree.XMLSchema(document)


@dataclass(frozen=True)
class _Member:
    """A file of the package, read when asked: the XML files whole, the others in chunks
    (issue 28: a package's large files are never held whole in memory)."""

    size: int
    opener: Callable[[], IO[bytes]]

    def read(self) -> bytes:
        with self.opener() as source:
            return source.read()

    def sha256(self) -> str:
        digest = hashlib.sha256()
        with self.opener() as source:
            while chunk := source.read(CHUNK):
                digest.update(chunk)
        return digest.hexdigest()


def _zip_members(archive: zipfile.ZipFile) -> dict[str, _Member]:
    return {
        info.filename: _Member(info.file_size, functools.partial(archive.open, info))
        for info in archive.infolist()
        if not info.is_dir()
    }


def _folder_members(folder: Path) -> dict[str, _Member]:
    return {
        path.relative_to(folder.parent).as_posix(): _Member(path.stat().st_size, _opener(path))
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def _opener(path: Path) -> Callable[[], IO[bytes]]:
    return lambda: path.open("rb")


def check_package(package: bytes | Path) -> list[str]:
    """The problems of a package (zip bytes, a .zip file, or the unpacked root folder)."""
    if isinstance(package, Path) and package.is_dir():
        return _check_contents(_folder_members(package))
    with zipfile.ZipFile(package if isinstance(package, Path) else io.BytesIO(package)) as archive:
        return _check_contents(_zip_members(archive))


def _check_contents(contents: dict[str, _Member]) -> list[str]:
    roots = {name.split("/", 1)[0] for name in contents}
    if len(roots) != 1:
        return [f"the package must have one root folder, it has {len(roots)}"]
    root = roots.pop()
    files = {name.split("/", 1)[1]: data for name, data in contents.items() if "/" in name}
    if len(files) != len(contents):
        return ["the package has files beside its root folder"]
    problems: list[str] = []
    named: set[str] = {"METS.xml"}
    pending = ["METS.xml"]
    seen: set[str] = set()
    while pending:
        mets_path = pending.pop(0)
        if mets_path in seen:
            continue
        seen.add(mets_path)
        problems += _check_mets(root, mets_path, files, named, pending)
    for extra in sorted(set(files) - named):
        problems.append(f"{extra}: in the package but named in no METS")
    return problems


def _parse(path: str, data: bytes, problems: list[str]) -> etree._ElementTree | None:
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    try:
        return etree.ElementTree(etree.fromstring(data, parser))
    except etree.XMLSyntaxError as error:
        problems.append(f"{path}: not well-formed XML ({error})")
        return None


def _valid(kind: str, path: str, tree: etree._ElementTree, problems: list[str]) -> None:
    schema = _schema(kind)
    if not schema.validate(tree):
        for error in schema.error_log:
            problems.append(
                f"{path}: not valid against the {kind} schema, line {error.line}: {error.message}"
            )


def _check_mets(
    root: str, mets_path: str, files: dict[str, _Member], named: set[str], pending: list[str]
) -> list[str]:
    problems: list[str] = []
    member = files.get(mets_path)
    if member is None:
        return [f"{mets_path}: named as a METS but not in the package"]
    tree = _parse(mets_path, member.read(), problems)
    if tree is None:
        return problems
    _valid("mets", mets_path, tree, problems)
    base = posixpath.dirname(mets_path)
    ns = {"mets": METS_NS, "xlink": XLINK_NS}
    for element in [*tree.iterfind(".//mets:file", ns), *tree.iterfind(".//mets:mdRef", ns)]:
        is_reference = element.tag == f"{{{METS_NS}}}mdRef"
        location = element if is_reference else element.find("mets:FLocat", ns)
        href = location.get(_HREF) if location is not None else None
        if not href:
            problems.append(f"{mets_path}: a file without a location (ID {element.get('ID')})")
            continue
        path = _resolve(base, href)
        if path is None:
            problems.append(f"{mets_path}: {href} points outside the package")
            continue
        named.add(path)
        problems += _check_file(mets_path, path, element, files)
        mdtype = element.get("MDTYPE")
        if path in files and mdtype in ("PREMIS", "DC"):
            metadata = _parse(path, files[path].read(), problems)
            if metadata is not None:
                _valid("premis" if mdtype == "PREMIS" else "dc", path, metadata, problems)
    for pointer in tree.iterfind(".//mets:mptr", ns):
        href = pointer.get(_HREF) or ""
        path = _resolve(base, href)
        if path is None:
            problems.append(f"{mets_path}: {href} points outside the package")
            continue
        named.add(path)
        pending.append(path)
    return problems


def _resolve(base: str, href: str) -> str | None:
    """The package path a METS location names (relative to the METS's folder)."""
    href = unquote(href.removeprefix("file:"))
    joined = posixpath.normpath(posixpath.join(base, href)) if base else posixpath.normpath(href)
    if joined.startswith("../") or joined == ".." or joined.startswith("/"):
        return None
    return joined


def _check_file(
    mets_path: str, path: str, element: etree._Element, files: dict[str, _Member]
) -> list[str]:
    member = files.get(path)
    if member is None:
        return [f"{path}: named in {mets_path} but not in the package"]
    problems = []
    size = element.get("SIZE")
    if size != str(member.size):
        problems.append(f"{path}: {mets_path} gives SIZE {size}, the file has {member.size} bytes")
    if element.get("CHECKSUMTYPE") != "SHA-256":
        problems.append(f"{path}: {mets_path} gives no SHA-256 checksum")
    elif (element.get("CHECKSUM") or "").lower() != member.sha256():
        problems.append(f"{path}: its SHA-256 is not the one {mets_path} gives")
    return problems
