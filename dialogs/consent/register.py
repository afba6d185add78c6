"""The consent register (R10): the consents of one's channels, with a CSV for the unit."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

from cards.consent import (
    ConsentRegisterView,
    RegisterLine,
    consent_register_card,
)
from cards.i18n import Texts
from dialogs.actor import Actor
from dialogs.channel_views import person_name, when
from dialogs.services import FlowServices
from storage.consents import (
    ACTIVE,
    consents_of,
    count_consents,
    posts_by_consent,
    visible_channels,
)
from storage.evidence import evidence_of
from storage.models import (
    ConsentRow,
    PersonRow,
)

REGISTER_LINES = 20
EXPORT_TTL = timedelta(hours=1)


class ConsentRegister:
    """The consent register of the channels a person edits or manages (R10)."""

    def __init__(self, services: FlowServices) -> None:
        self._s = services

    async def register(self, actor: Actor) -> dict[str, Any] | str:
        """The consent register of the channels the user edits or manages, with a CSV export."""
        texts = actor.texts
        async with self._s.sessions() as session:
            channels = await visible_channels(session, actor.person.id, organisation=actor.scope)
            if not channels:
                return texts("consents.none_visible")
            names = {c.id: c.name for c in channels}
            ids = list(names)
            consents = await consents_of(session, ids)
            total = await count_consents(session, ids)
            posts = await posts_by_consent(session, [c.id for c in consents])
            people = {
                p.id: p
                for p in [
                    await session.get(PersonRow, pid)
                    for pid in {c.recorded_by_person_id for c in consents}
                    if pid is not None
                ]
                if p is not None
            }
            documents = {c.id: await evidence_of(session, "consent", c.id) for c in consents}
        lines = []
        rows = []
        for consent in consents:
            values = _register_values(
                consent, texts, people, posts.get(consent.id, []), documents[consent.id]
            )
            rows.append((consent, values))
            if len(lines) < REGISTER_LINES:
                lines.append(
                    RegisterLine(
                        subject=consent.subject,
                        channel=names[consent.channel_id],
                        facts=tuple(values[1:]),
                        withdrawn=consent.status != ACTIVE,
                    )
                )
        export_url = None
        if rows:
            key, _ = await self._s.documents.store_file(
                _csv(rows, names, texts),
                kind="consent-register",
                filename=texts("consents.export_filename") + ".csv",
                content_type="text/csv",
            )
            export_url = self._s.documents.link(key, EXPORT_TTL)
        view = ConsentRegisterView(
            lines=tuple(lines), more=max(0, total - len(lines)), export_url=export_url
        )
        return consent_register_card(view, texts)


def _register_values(
    consent: ConsentRow,
    texts: Texts,
    people: dict[int, PersonRow],
    posts: list[str],
    documents: list[Any],
) -> list[tuple[str, str]]:
    """The consent's fields as (label, value) pairs; the first is the subject."""
    document = (
        ", ".join(f"{d.filename} (SHA-256 {d.sha256[:12]}…)" for d in documents)
        or consent.document_reference
        or "–"
    )
    recorder = people.get(consent.recorded_by_person_id or -1)
    values = [
        (texts("consents.subject"), consent.subject),
        (texts("consents.minor"), texts("consent.yes") if consent.minor else texts("consent.no")),
        (texts("consents.guardian"), consent.guardian or "–"),
        (texts("consents.scope"), texts(f"consent.use_{consent.scope}")),
        (texts("consents.form"), texts(f"consent.form_{consent.form}")),
        (texts("consents.document"), document),
        (
            texts("consents.recorded"),
            texts(
                "consents.recorded_value",
                who=person_name(texts, recorder),
                when=when(texts, consent.recorded_at),
            ),
        ),
        (texts("consents.posts"), ", ".join(posts) or "–"),
        (texts("consents.status"), texts(f"consents.status_{consent.status}")),
    ]
    return values


def _csv(
    rows: list[tuple[ConsentRow, list[tuple[str, str]]]], names: dict[int, str], texts: Texts
) -> bytes:
    """The register as CSV for the unit: UTF-8 with BOM and ';' as Swedish Excel expects."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    header = [texts("consents.id"), texts("consent.channel")]
    if rows:
        header += [label for label, _ in rows[0][1]]
    writer.writerow(header)
    for consent, values in rows:
        cells = [str(consent.id), names[consent.channel_id], *(v for _, v in values)]
        # A cell starting with = + - @ would be a formula in a spreadsheet.
        writer.writerow([f"'{c}" if c[:1] in ("=", "+", "-", "@") else c for c in cells])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
