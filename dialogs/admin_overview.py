"""`register` / `registry`: counts by status, overdue and under-staffed channels (admins).

An admin of one administration sees its channels; an organisation admin sees the whole
organisation, with counts per administration (issue 15). Nobody sees another organisation's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import func, select

from cards.admin import AdminChannelLine, AdminOverviewView, admin_overview_card
from cards.i18n import Texts
from dialogs.actor import Actor
from dialogs.channel_views import day
from dialogs.permissions import ADMINS, NOBODY, Permit
from dialogs.services import FlowServices
from dialogs.wiring import Flows, Wiring
from domain.documentation import today_in
from domain.lifecycle import ChannelStatus
from domain.organisations import Administration, Organisation
from storage.channels import EditorStatus
from storage.consents import TaskStatus
from storage.models import ChannelEditorRow, ChannelRow, RemovalTaskRow
from storage.organisations import in_scope

MAX_LINES = 15  # a Teams card has a size limit; the CSV has everything


class AdminOverviewFlow:
    """Builds the overview for the people in the policy's admin group."""

    def __init__(self, services: FlowServices, csv_url: str) -> None:
        self._s = services
        self._csv_url = csv_url

    def _scope(self, actor: Actor) -> tuple[Organisation, tuple[Administration, ...]] | None:
        """The actor's organisation and the administrations they administer, if any."""
        organisation = actor.organisation  # loaded with the actor from the person's tenant
        if organisation is None:
            return None
        administered = organisation.administered_by(actor.person.aad_object_id)
        return (organisation, administered) if administered else None

    def _csv_link(
        self, organisation: Organisation, administered: tuple[Administration, ...]
    ) -> str:
        """The public list the admin sees, as CSV (R8): the organisation's, narrowed to the
        administration of an admin of one; the deployment's list when it serves one."""
        link = (
            self._csv_url  # one organisation: /registry.csv is its list
            if self._s.organisations.default is not None
            else f"{self._csv_url.removesuffix('.csv')}/{organisation.slug}.csv"
        )
        if len(administered) == 1 and len(organisation.administrations) > 1:
            link += "?" + urlencode({"administration": administered[0].slug})
        return link

    async def card(self, actor: Actor) -> dict[str, Any] | str:
        """The overview card, or a sentence for someone who is not an admin."""
        texts = actor.texts
        scope = self._scope(actor)
        if scope is None:
            return texts("admin.not_admin")
        organisation, administered = scope
        slugs = [a.slug for a in administered]

        def scoped(statement: Any) -> Any:
            return in_scope(statement, organisation=organisation.slug, administration=slugs)

        # Today where the organisation is; each administration's own minimum of editors (R3),
        # the query with the largest of them and each channel then held to its own.
        today = today_in(self._s.clock.now(), organisation.policy.documentation)
        minimum = max(a.policy.channels.min_editors for a in administered)
        accepted = (
            select(ChannelEditorRow.channel_id, func.count().label("accepted"))
            .where(ChannelEditorRow.status == EditorStatus.ACCEPTED)
            .group_by(ChannelEditorRow.channel_id)
            .subquery()
        )
        async with self._s.sessions() as session:
            counts = (
                await session.execute(
                    scoped(select(ChannelRow.status, func.count()).group_by(ChannelRow.status))
                )
            ).all()
            overdue = (
                await session.scalars(
                    scoped(
                        select(ChannelRow)
                        .where(ChannelRow.status == ChannelStatus.ACTIVE.value)
                        .where(ChannelRow.next_documentation_due < today)
                        .order_by(ChannelRow.next_documentation_due)
                    )
                )
            ).all()
            short = (
                await session.execute(
                    scoped(
                        select(ChannelRow, func.coalesce(accepted.c.accepted, 0))
                        .outerjoin(accepted, accepted.c.channel_id == ChannelRow.id)
                        .where(ChannelRow.status == ChannelStatus.ACTIVE.value)
                        .where(func.coalesce(accepted.c.accepted, 0) < minimum)
                        .order_by(ChannelRow.unit, ChannelRow.name)
                    )
                )
            ).all()
            understaffed = [
                (c, n) for c, n in short if n < self._s.policy_for(c).channels.min_editors
            ]
            removals = dict(
                (
                    await session.execute(
                        scoped(
                            select(ChannelRow.administration, func.count())
                            .join(RemovalTaskRow, RemovalTaskRow.channel_id == ChannelRow.id)
                            .where(RemovalTaskRow.status != TaskStatus.DONE)
                            .group_by(ChannelRow.administration)
                        )
                    )
                ).all()
            )
        by_status = dict(counts)
        view = AdminOverviewView(
            counts=tuple(
                (texts(f"channel_status.{status.value}"), str(by_status[status.value]))
                for status in ChannelStatus
                if status.value in by_status
            ),
            overdue=tuple(
                AdminChannelLine(
                    c.name,
                    c.unit,
                    texts(
                        "admin_overview.overdue_since", date=day(texts, c.next_documentation_due)
                    ),
                )
                for c in overdue[:MAX_LINES]
                if c.next_documentation_due is not None
            ),
            understaffed=tuple(
                AdminChannelLine(
                    c.name,
                    c.unit,
                    texts(
                        "admin_overview.editors",
                        accepted=n,
                        minimum=self._s.policy_for(c).channels.min_editors,
                    ),
                )
                for c, n in understaffed[:MAX_LINES]
            ),
            csv_url=self._csv_link(organisation, administered),
            administrations=_per_administration(
                administered, overdue, [c for c, _n in understaffed], removals, texts
            )
            if len(organisation.administrations) > 1
            else (),
            more_overdue=max(len(overdue) - MAX_LINES, 0),
            more_understaffed=max(len(understaffed) - MAX_LINES, 0),
            captures_off=self._s.wake_capture is None,
        )
        return admin_overview_card(view, texts)


def _per_administration(
    administered: tuple[Administration, ...],
    overdue: Sequence[ChannelRow],
    understaffed: Sequence[ChannelRow],
    removals: dict[str, int],
    texts: Texts,
) -> tuple[tuple[str, str], ...]:
    """Each administration's overdue documentation, too few editors and open removal tasks."""
    late = Counter(c.administration for c in overdue)
    short = Counter(c.administration for c in understaffed)
    return tuple(
        (
            a.name,
            texts(
                "admin_overview.per_administration_line",
                overdue=late[a.slug],
                understaffed=short[a.slug],
                removals=removals.get(a.slug, 0),
            ),
        )
        for a in administered
    )


def build(wiring: Wiring) -> Flows:
    """The admins' `register` command."""
    overview = AdminOverviewFlow(wiring.services, wiring.registry_csv_url)
    return Flows(
        commands=wiring.command(
            "registry",
            Permit(may=NOBODY, may_new=ADMINS, rules="R8, R12", summary="the admins' overview"),
            lambda _turn, actor: overview.card(actor),
            refusal="admin.not_admin",
        )
    )
