"""Personal data: everything stored about a person or a consent subject, and its erasure.

`kanalkollen person export ID` and `kanalkollen person erase ID [--dry-run]` use this module
(`--dry-run` only reports what erasure would do).

What erasure removes (not public records, only needed to reach or serve the person):
- conversation references, the bot's dialog state of their chats and the card copies posted
  there, pending messages to them (cancelled) and the content of those already sent (a copy of
  what their chat shows, not a record); their name, e-mail, Teams id and language
  (the people row stays as an anonymous tombstone, because the rows below point to it);
- files the person sent in a dialog that never became part of a record (a documentation
  round, a consent check or a closing left unfinished): their content is deleted from the file
  store, since nothing but the erased dialog state pointed to them;
- for a consent subject: the name or reference and the guardian's name on withdrawn consents,
  the withdrawal note, and the subject's name in the stored file name of a signed form (the form
  is stored again under a neutral name, `samtycke-<consent id>.<ext>`, and the old copy deleted);
- every copy of the names elsewhere (issue 24, storage/personal_copies.py): in consent checks'
  answers and findings, removal tasks, outbox messages in any state, dialog states (a consent
  check still waiting for its form is ended), capture file names, and the consent register's
  CSVs that older versions stored (the register's CSV is now made when its link is opened);
  a person's name and e-mail in cards and texts sent to others.

What is kept, and why (public records, allmänna handlingar, kept as the records management
plan says until it lets them be culled; R11, R12, R13):
- channels, plans, approvals, editor assignments and registration notices: records of how the
  organisation runs its official channels (R2, R3, R5, R8);
- the audit log: append-only by design (a database trigger refuses changes); it holds ids and
  decisions, not names (an event whose details hold a name, e.g. a file name an editor gave a
  capture, is named in the report as kept);
- signed consent forms, withdrawal records, captures and documentation: records the records
  plan keeps (R10, R11, R12);
- consent checks and post addresses: the record of what was published and on what grounds
  (the names in their answers replaced by "[raderad]");
- the consent's own row without the names: the register's record that a consent existed.

A consent subject whose consent is still active is not erased: the consent is withdrawn first
(`återkalla samtycke`), so that the posts relying on it are removed (R9, R11).

This module finds whom a request concerns (`find_target`); the export is in
storage/personal_export.py, the erasure in storage/personal_erasure.py.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    ChannelRow,
    ConsentRow,
    ConversationReferenceRow,
    PersonRow,
)


class UnknownTarget(LookupError):
    """No person or consent subject matches the id."""


@dataclass
class Target:
    """The person rows, or the consent rows of one subject, that an id names."""

    kind: str  # "person" | "consent"
    people: list[PersonRow] = field(default_factory=list)
    consents: list[ConsentRow] = field(default_factory=list)

    @property
    def ids(self) -> list[int]:
        """The row ids, for the audit log (no personal data)."""
        rows = self.people if self.kind == "person" else self.consents
        return [row.id for row in rows]


async def find_target(
    session: AsyncSession,
    ident: str,
    *,
    organisation: str | None = None,
    tenant_ids: Collection[str] = (),
) -> Target:
    """`person:<n>`, `consent:<n>`, an e-mail address or an AAD object id.

    With `organisation` (issue 15) only that organisation's people (of its `tenant_ids`; none
    given: every tenant) and consents of its channels are found: a request for one
    organisation never exports or erases another's.
    """
    ident = ident.strip()
    kind, _, rest = ident.partition(":")
    if kind == "consent" and rest.isdigit():
        consent = await session.get(ConsentRow, int(rest))
        if consent is None:
            raise UnknownTarget(ident)
        channel = await session.get(ChannelRow, consent.channel_id)
        if organisation is not None and (channel is None or channel.organisation != organisation):
            raise UnknownTarget(ident)
        # The same subject in the same channel's register: one person's consents.
        rows = await session.scalars(
            select(ConsentRow)
            .where(ConsentRow.channel_id == consent.channel_id)
            .order_by(ConsentRow.id)
        )
        wanted = consent.subject.casefold()
        return Target("consent", consents=[c for c in rows if c.subject.casefold() == wanted])
    if kind == "person" and rest.isdigit():
        person = await session.get(PersonRow, int(rest))
        people = [person] if person is not None else []
    elif "@" in ident:
        found = await session.scalars(
            select(PersonRow).where(PersonRow.email.is_not(None)).order_by(PersonRow.id)
        )
        people = [p for p in found if (p.email or "").casefold() == ident.casefold()]
    else:
        people = list(
            await session.scalars(
                select(PersonRow).where(PersonRow.aad_object_id == ident).order_by(PersonRow.id)
            )
        )
    if organisation is not None and tenant_ids:
        tenants = {t.strip().lower() for t in tenant_ids}
        people = [p for p in people if p.tenant_id.strip().lower() in tenants]
    if not people:
        raise UnknownTarget(ident)
    return Target("person", people=people)


async def conversations_of(
    session: AsyncSession, person_id: int
) -> list[ConversationReferenceRow]:
    rows = await session.scalars(
        select(ConversationReferenceRow).where(ConversationReferenceRow.person_id == person_id)
    )
    return list(rows)


def state_keys_of(
    conversations: list[ConversationReferenceRow], teams_user_id: str | None = None
) -> list[str]:
    """The dialog-state keys of a person's conversations: their own (per person, see
    dialogs.state) and the conversation-only keys of older versions."""
    keys = []
    for c in conversations:
        conversation = f"{c.channel_id}/conversations/{c.conversation_id}"
        keys.append(conversation)
        if teams_user_id:
            keys.append(f"{conversation}/users/{teams_user_id}")
    return keys
