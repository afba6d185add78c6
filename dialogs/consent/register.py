"""The consent register (R10): the consents of one's channels, with a CSV for the unit.

The CSV is never stored (issue 24): the card links to `/consent-register/{person}/{lang}.csv`
with a signed, expiring query, and bot/web/consent_register.py makes the file when the link is
opened, from the register as it is then, for that person's channels as they are then. So no
copy of a subject's or guardian's name is left in the file store when a consent is erased,
and nobody keeps a list of names after losing their role.
"""

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
from dialogs.actor import Actor, load_actor
from dialogs.channel_views import person_name, when
from dialogs.services import FlowServices
from domain.registry import spreadsheet_cell
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
REGISTER_CSV_PATH = "/consent-register"
LANGUAGES = ("sv", "en")


def register_csv_path(person_id: int, language: str) -> str:
    """The route of one person's register CSV in one language (signed by the link)."""
    return f"{REGISTER_CSV_PATH}/{person_id}/{language}.csv"


class ConsentRegister:
    """The consent register of the channels a person edits or manages (R10)."""

    def __init__(self, services: FlowServices) -> None:
        self._s = services

    async def _rows(
        self, actor: Actor
    ) -> tuple[list[tuple[ConsentRow, list[tuple[str, str]]]], dict[int, str], int] | None:
        """The register's rows (every consent of the actor's channels, newest first), the
        channels' names and the total; None when the actor sees no channel."""
        texts = actor.texts
        async with self._s.sessions() as session:
            channels = await visible_channels(session, actor.person.id, organisation=actor.scope)
            if not channels:
                return None
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
        rows = [
            (
                consent,
                _register_values(
                    consent, texts, people, posts.get(consent.id, []), documents[consent.id]
                ),
            )
            for consent in consents
        ]
        return rows, names, total

    async def register(self, actor: Actor) -> dict[str, Any] | str:
        """The consent register of the channels the user edits or manages, with a CSV export."""
        texts = actor.texts
        found = await self._rows(actor)
        if found is None:
            return texts("consents.none_visible")
        rows, names, total = found
        lines = [
            RegisterLine(
                subject=consent.subject,
                channel=names[consent.channel_id],
                facts=tuple(values[1:]),
                withdrawn=consent.status != ACTIVE,
            )
            for consent, values in rows[:REGISTER_LINES]
        ]
        export_url = None
        if rows:
            # Issue 24: a link to the CSV made when it is opened, never a stored copy.
            path = register_csv_path(actor.person.id, texts.language)
            export_url = self._s.documents.route_link(path, EXPORT_TTL)
        view = ConsentRegisterView(
            lines=tuple(lines), more=max(0, total - len(lines)), export_url=export_url
        )
        return consent_register_card(view, texts)

    async def csv_for(self, person_id: int, language: str) -> tuple[str, bytes] | None:
        """The register's CSV for a person as it is now (file name, bytes); None when the
        person is gone (erased, or of no organisation) or sees no channel any more."""
        texts = Texts(language if language in LANGUAGES else LANGUAGES[0])
        async with self._s.sessions() as session:
            actor = await load_actor(
                session, person_id, texts, organisations=self._s.organisations
            )
        if actor is None or actor.person.undeliverable_reason == "erased":
            return None  # an erased person's tombstone keeps its roles as records, not access
        found = await self._rows(actor)
        if found is None:
            return None
        rows, names, _ = found
        return texts("consents.export_filename") + ".csv", _csv(rows, names, texts)


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
    writer.writerow([spreadsheet_cell(h) for h in header])
    for consent, values in rows:
        cells = [str(consent.id), names[consent.channel_id], *(v for _, v in values)]
        # The public list's guard (= + - @ tab CR first would be a formula in a spreadsheet).
        writer.writerow([spreadsheet_cell(c) for c in cells])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
