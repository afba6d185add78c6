"""Every adaptive-card action verb the bot knows, in one place."""

from __future__ import annotations

from enum import StrEnum


class Verb(StrEnum):
    """Card action verbs; `parse_action` refuses anything else."""

    SHOW_HELP = "help.show"
    # New channel (R2, R5, R6): the requester's form and live status.
    CHANNEL_NEW = "channel.new"
    CHANNEL_SUBMIT = "channel.submit"
    CHANNEL_STATUS = "channel.status"
    # The manager's decision (R2, R5, R6); REFRESH is the card's automatic refresh.
    APPROVAL_APPROVE = "approval.approve"
    APPROVAL_REJECT = "approval.reject"
    APPROVAL_CHANGES = "approval.changes"
    APPROVAL_REFRESH = "approval.refresh"
    # Editors (R3).
    EDITOR_ACCEPT = "editor.accept"
    EDITOR_DECLINE = "editor.decline"
    EDITOR_NOMINATE = "editor.nominate"
    # Registration of the created account (R8).
    CHANNEL_REGISTER = "channel.register"
    # The communications department's comment on a plan (R7).
    COMMS_COMMENT = "comms.comment"
    # Half-yearly documentation (R12).
    DOCUMENTATION_START = "documentation.start"
    # Consent check and register (R9, R10): dialogs/consent.py.
    CONSENT_CHECK = "consent.check"
    CONSENT_ADD_PERSON = "consent.add_person"
    CONSENT_POST = "consent.post"
    # Withdrawal and removal tasks (R9, R11): dialogs/withdrawal.py.
    CONSENT_WITHDRAW = "consent.withdraw"
    REMOVAL_CAPTURE = "removal.capture"
    REMOVAL_DONE = "removal.done"
    # Before deleting and closing a channel (R11, R13): dialogs/records.py.
    DELETION_CHECK = "deletion.check"
    DELETION_CAPTURE = "deletion.capture"
    DELETION_DONE = "deletion.done"
    CLOSING_START = "closing.start"
    CLOSING_EXPORT = "closing.export"
    CLOSING_SCREENSHOTS = "closing.screenshots"
    CLOSING_SUBMIT = "closing.submit"
    CLOSING_CONFIRM = "closing.confirm"
    CLOSING_CANCEL = "closing.cancel"
    # Editor changes (R3, R8): dialogs/editor_changes.py.
    EDITORS_SHOW = "editors.show"
    EDITORS_CHANGE = "editors.change"
    EDITOR_REPLACE = "editor.replace"
    CHANNEL_UPDATE = "channel.update"
