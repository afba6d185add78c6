"""R11: the capture kept before a removal goes to the records mailbox as a package.

A deletion (dialogs/deletion.py) and a withdrawn consent (dialogs/withdrawal.py) keep their
capture first (dialogs/capture_first.py); the capture is then delivered like a documentation
round: a records package in the administration's format (an E-ARK SIP by default, issue 27).
The package is built before the capture's transaction (no file work while rows are locked) and
its mail is queued inside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from cards.i18n import Texts
from dialogs.channel_views import person_name
from dialogs.notify import queue_package_mail
from dialogs.services import FlowServices, StoredUpload
from domain.policy import Policy
from storage.models import ChannelRow, PersonRow


@dataclass(frozen=True)
class CapturePackage:
    """A built capture package, waiting for its mail to be queued."""

    channel: ChannelRow
    policy: Policy
    key: str
    sha256: str
    filename: str

    def queue(self, session: AsyncSession, person: PersonRow, now: datetime) -> None:
        """Queues the package's mail to the records mailbox (in the capture's transaction)."""
        queue_package_mail(
            session,
            mailbox=self.policy.documentation.records_mailbox,
            texts_prefix="capture_package",
            channel=self.channel,
            person=person,
            key=self.key,
            filename=self.filename,
            now=now,
            sha256=self.sha256,
            records=self.policy.records,
        )


async def package_capture(
    services: FlowServices,
    channel: ChannelRow | None,
    person: PersonRow,
    upload: StoredUpload,
    subject_type: str,
    now: datetime,
) -> CapturePackage | None:
    """R11: builds the capture's package, or None where nobody receives it (no records
    mailbox) or the bot keeps no files."""
    if channel is None or services.records is None:
        return None
    policy = services.policy_for(channel)
    if not policy.documentation.records_mailbox:
        return None
    sv = Texts("sv")
    filename = sv("capture_package.filename", name=channel.name, date=now.date().isoformat())
    key, sha256 = await services.records.package(
        channel_name=channel.name,
        platform=sv(f"platform.{channel.platform}"),
        unit=channel.unit,
        due=now.date(),
        completed_by=person_name(sv, person),
        completed_at=now,
        note=sv(f"capture_package.note_{subject_type}"),
        files=[upload],
        start_page=None,
        filename=filename,
        purpose="capture",
        address=channel.address,
        administration=policy.registry.administration,
        records=policy.records,
    )
    return CapturePackage(channel, policy, key, sha256, filename)
