"""R7: the communications department's conversation, one per organisation (issue 15).

An organisation admin picks it (`kommunikationskanal`); new plans of the organisation's
channels go there and nowhere else. The key without a slug is where a deployment from before
organisations kept its one conversation: it is read for a single organisation only.
"""

from __future__ import annotations

import hashlib

from sqlalchemy.ext.asyncio import AsyncSession

from domain.organisations import Organisations
from storage.channels import get_setting

COMMUNICATIONS_SETTING = "communications_conversation_id"
_PREFIX = "communications:"
_KEY_LENGTH = 64  # app_settings.key


def communications_setting(organisation: str) -> str:
    """The settings key of an organisation's communications conversation."""
    key = f"{_PREFIX}{organisation}"
    if len(key) <= _KEY_LENGTH:
        return key
    # A slug may have 63 characters: a long one is hashed, never cut (two slugs, two keys).
    return f"{_PREFIX}#{hashlib.sha256(organisation.encode()).hexdigest()[:40]}"


async def communications_conversation(
    session: AsyncSession, organisations: Organisations, organisation: str
) -> str | None:
    """The conversation an organisation's new plans go to; None when none was picked."""
    conversation = await get_setting(session, communications_setting(organisation))
    if conversation:
        return conversation
    if organisations.default is not None and organisations.default.slug == organisation:
        # A deployment with one organisation may have picked it before organisations existed.
        return await get_setting(session, COMMUNICATIONS_SETTING)
    return None
