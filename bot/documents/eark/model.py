"""What an E-ARK SIP is built from: the facts of the delivery and its files."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from importlib import metadata

from bot.documents.package_zip import Data

# E-ARK SIP 2.1.0: the profile every SIP's METS names (SIP2), and the CSIP namespaces.
SIP_PROFILE = "https://earksip.dilcis.eu/profile/E-ARK-SIP.xml"
METS_NS = "http://www.loc.gov/METS/"
XLINK_NS = "http://www.w3.org/1999/xlink"
CSIP_NS = "https://DILCIS.eu/XML/METS/CSIPExtensionMETS"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
PREMIS_NS = "http://www.loc.gov/premis/v3"
DC_NS = "http://purl.org/dc/elements/1.1/"

SOFTWARE_NAME = "Kanalkollen"
# What the package holds, for csip:OTHERCONTENTINFORMATIONTYPE (no CSIP content information
# type fits social media records, so the vocabulary's OTHER with our own name).
CONTENT_INFORMATION = "Kanalkollen social media records"

# The three kinds of delivery (R12 documentation, R13 closing, R11 capture before a removal).
PURPOSES = ("documentation", "closing", "capture")


def software_version() -> str:
    """Kanalkollen's installed version (the SOFTWARE VERSION note and PREMIS agents)."""
    try:
        return metadata.version("kanalkollen")
    except metadata.PackageNotFoundError:  # pragma: no cover - run from a bare checkout
        return "0.0.0"


@dataclass(frozen=True)
class PackageFacts:
    """Who delivers what: the descriptive and administrative facts of one package."""

    purpose: str  # one of PURPOSES
    channel_name: str
    platform: str
    address: str | None  # the channel's public address
    administration: str  # the submitting agent (the policy's administration)
    unit: str
    period_start: date | None  # the period covered; None: since the channel began
    period_end: date
    documented_by: str  # the person who documented, captured or closed
    completed_at: datetime  # with its time zone
    note: str | None = None
    submission_agreement: str = ""
    reference_code: str = ""  # diarienummer or series code
    software: str = SOFTWARE_NAME
    version: str = ""

    def __post_init__(self) -> None:
        if self.purpose not in PURPOSES:
            raise ValueError(f"unknown package purpose {self.purpose!r}")
        if self.completed_at.tzinfo is None or self.completed_at.utcoffset() is None:
            raise ValueError("completed_at must know its time zone")

    @property
    def software_version(self) -> str:
        """The version named in the package (the installed one unless given)."""
        return self.version or software_version()


@dataclass(frozen=True)
class PackageFile:
    """A file that goes into the representation's data folder."""

    name: str  # as the person or the capture named it
    data: Data  # the bytes, or a file holding them (read in chunks, never whole)
    sha256: str  # hex, checked against the data
    content_type: str | None = None  # as stored; the bytes decide where they can
    created: datetime | None = None  # when it was taken or received
    start_page: bool = False  # the channel's start page (R12)
    # Set for a capture Kanalkollen took itself (R12): the page's address, time and status.
    source_url: str | None = None
    captured_at: str | None = None
    http_status: int | None = None
    uploaded_by: str | None = None  # the person who sent it in the chat


@dataclass(frozen=True)
class PackedFile:
    """A file as it is in the package: its safe path and what the METS says of it."""

    path: str  # relative to the package root, e.g. representations/rep1/data/x.png
    data: Data
    sha256: str
    size: int
    mimetype: str
    created: datetime
    file_id: str  # the METS @ID
    original: PackageFile | None = None  # None for the package's own files

    @property
    def original_name(self) -> str | None:
        """The name before it was made safe, where that differs."""
        if self.original is None:
            return None
        return self.original.name
