"""A records package in the policy's format (issue 27): an E-ARK SIP or today's zip.

`records.package_format` chooses: "eark-sip" (the default: E-ARK SIP 2.1.0, FGS Paketstruktur
2.0, bot/documents/eark/) or "zip" (bot/documents/packages.py: the files with an index of our
own). Both come as one zip file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.documents.eark.model import PackageFacts, PackageFile
from bot.documents.eark.sip import build_sip
from bot.documents.packages import build_package
from dialogs.services import StoredUpload
from domain.policy import RecordsPolicy


@dataclass(frozen=True)
class PackageRequest:
    """What one delivery holds and who makes it."""

    purpose: str  # "documentation" (R12), "closing" (R13), "capture" (R11)
    channel_name: str
    platform: str
    unit: str
    due: date  # the end of the period covered
    completed_by: str
    completed_at: datetime
    note: str | None
    start_page: str | None
    address: str | None = None
    period_start: date | None = None
    administration: str = ""


def build_records_package(
    request: PackageRequest,
    files: list[tuple[StoredUpload, bytes]],
    records: RecordsPolicy,
) -> bytes:
    """The package's zip, in the format the policy names."""
    if records.package_format == "zip":
        contents: list[tuple[str, bytes, str, dict[str, Any] | None]] = []
        for upload, data in files:
            facts = None
            if upload.source_url is not None:  # a capture Kanalkollen took (R12)
                facts = {
                    "address": upload.source_url,
                    "captured_at": upload.captured_at,
                    "http_status": upload.http_status,
                    "content_type": upload.content_type,
                }
            contents.append((upload.filename, data, upload.sha256, facts))
        return build_package(
            channel_name=request.channel_name,
            platform=request.platform,
            unit=request.unit,
            period_due=request.due,
            completed_by=request.completed_by,
            completed_at=request.completed_at,
            note=request.note,
            files=contents,
            start_page=request.start_page,
            purpose=request.purpose,
        )
    facts = PackageFacts(
        purpose=request.purpose,
        channel_name=request.channel_name,
        platform=request.platform,
        address=request.address,
        administration=request.administration or request.unit,
        unit=request.unit,
        period_start=request.period_start,
        period_end=request.due,
        documented_by=request.completed_by,
        completed_at=request.completed_at,
        note=request.note,
        submission_agreement=records.submission_agreement,
        reference_code=records.reference_code,
    )
    start_marked = False
    package_files = []
    for upload, data in files:
        start = not start_marked and upload.filename == request.start_page
        start_marked = start_marked or start
        package_files.append(
            PackageFile(
                name=upload.filename,
                data=data,
                sha256=upload.sha256,
                content_type=upload.content_type,
                start_page=start,
                source_url=upload.source_url,
                captured_at=upload.captured_at,
                http_status=upload.http_status,
            )
        )
    if request.start_page is not None and not start_marked:
        raise ValueError("the start page is not one of the files")
    _, package = build_sip(facts, package_files)
    return package
