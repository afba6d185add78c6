"""What a withdrawal of consent reaches (R9, R11): the posts that rely on each consent.

The removal tasks themselves are read through storage.consents (`open_removal_tasks`,
`tasks_needing_attention`), which the closing flow shares.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ConsentCheckConsentRow


async def posts_per_consent(session: AsyncSession, consent_ids: Sequence[int]) -> dict[int, int]:
    """How many checks (posts, with or without a known address) rely on each consent."""
    if not consent_ids:
        return {}
    rows = await session.execute(
        select(ConsentCheckConsentRow.consent_id, func.count())
        .where(ConsentCheckConsentRow.consent_id.in_(consent_ids))
        .group_by(ConsentCheckConsentRow.consent_id)
    )
    return {consent_id: int(count) for consent_id, count in rows}
