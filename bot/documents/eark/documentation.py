"""documentation/index.txt: the package in words, for the registrar who opens it."""

from __future__ import annotations

from bot.documents.eark.model import PackageFacts, PackedFile

_HEADINGS = {
    "documentation": "Kanalkollen documentation package (R12)",
    "closing": "Kanalkollen closing package (R13)",
    "capture": "Kanalkollen capture before a removal (R11)",
}


def index_text(facts: PackageFacts, objid: str, data: list[PackedFile]) -> str:
    """The facts of the package and its files, one per line (English, like the code)."""
    period = (facts.period_start.isoformat() if facts.period_start else "…") + (
        f" – {facts.period_end.isoformat()}"
    )
    lines = [
        _HEADINGS[facts.purpose],
        "E-ARK SIP 2.1.0 (CSIP 2.1.0, FGS Paketstruktur 2.0)",
        "",
        f"Package (OBJID):  {objid}",
        f"Channel:          {facts.channel_name}",
        f"Platform:         {facts.platform}",
        f"Address:          {facts.address or '-'}",
        f"Administration:   {facts.administration}",
        f"Unit:             {facts.unit}",
        f"Period:           {period}",
        f"By:               {facts.documented_by}",
        f"Completed at:     {facts.completed_at.isoformat(timespec='seconds')}",
        f"Reference code:   {facts.reference_code or '-'}",
        f"Agreement:        {facts.submission_agreement or '-'}",
        "",
        f"Files ({len(data)}), in {data[0].path.rsplit('/', 1)[0]}/:" if data else "Files: none",
    ]
    for packed in data:
        original = packed.original
        marker = "  (start page)" if original is not None and original.start_page else ""
        lines += ["", f"  {packed.path.rsplit('/', 1)[1]}{marker}"]
        if packed.original_name and packed.original_name != packed.path.rsplit("/", 1)[1]:
            lines.append(f"    Sent as:  {packed.original_name}")
        lines += [
            f"    Size:     {packed.size} bytes",
            f"    Type:     {packed.mimetype}",
            f"    SHA-256:  {packed.sha256}",
        ]
        if original is not None and original.source_url is not None:
            lines.append(
                f"    Captured by Kanalkollen from {original.source_url} at "
                f"{original.captured_at}, HTTP status {original.http_status}"
            )
    lines += [
        "",
        "Check the package: every file is named in a METS.xml with its SIZE and SHA-256",
        "(kanalkollen records check PACKAGE.zip, or the E-ARK validator).",
    ]
    return "\n".join(lines) + "\n"
