"""Ready-made views the channel cards are built from: texts already chosen and formatted.

The flows (dialogs/) fill these from the database and the catalogs; the card builders only
lay them out. Field names in `values`/`errors` are the form's input ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Choice:
    """One option of a choice input."""

    value: str
    title: str


@dataclass(frozen=True)
class ChannelSummary:
    """What every card about a channel shows of it (already localised)."""

    channel_id: int
    name: str
    platform: str  # the platform's label, e.g. "Instagram" / "Annan"
    unit: str
    purpose: str
    requester: str
    manager: str
    editors: tuple[str, ...]  # names with their answer, e.g. "Testperson Två (har tackat ja)"
    status: str  # the status label, e.g. "Väntar på chefens beslut"
    plan_url: str | None = None  # signed link to the .docx (R5)
    address: str | None = None


@dataclass(frozen=True)
class PlanSection:
    """One section of the social media plan, with its heading (R5)."""

    heading: str
    text: str


@dataclass(frozen=True)
class RequestFormView:
    """The new-channel form (R2, R3, R5, R6), possibly with errors and earlier answers."""

    platforms: tuple[Choice, ...]
    values: Mapping[str, str] = field(default_factory=dict)
    errors: Mapping[str, str] = field(default_factory=dict)  # field id -> error text
    ask_manager: bool = False  # the directory had no manager: the form asks for one
    manager_name: str | None = None  # found in the directory: shown, not asked
    channel_id: int | None = None  # set when resubmitting after "ask for changes"
    version: int | None = None
    manager_comment: str | None = None  # what the manager asked to change
    plan_template_url: str | None = None
    notice: str | None = None  # a sentence above the form (e.g. "fix the marked fields")
    # The organisation's administrations, offered when the directory's department did not
    # say which one the requester belongs to (empty: not asked).
    administrations: tuple[Choice, ...] = ()
    # R2: the policy's units, chosen from a list (their deputies decide too); empty: typed.
    units: tuple[str, ...] = ()


@dataclass(frozen=True)
class Decision:
    """A manager's decision as shown on cards."""

    label: str  # "Godkänd", "Avslagen", "Ändringar begärda"
    by: str
    at: str  # formatted for the locale
    comment: str | None = None


@dataclass(frozen=True)
class ApprovalView:
    """The manager's approval card (R2, R5, R6) or its status-only version."""

    summary: ChannelSummary
    version: int
    sections: tuple[PlanSection, ...]
    login_reference: str  # where the login is kept (R6); a reference, never a password
    actionable: bool  # the manager (or a deputy) sees the buttons; everyone else the status
    refresh_user_ids: tuple[str, ...] = ()  # Teams user ids whose copies refresh themselves
    decision: Decision | None = None
    notice: str | None = None  # e.g. "already decided", "this card was out of date"
    errors: Mapping[str, str] = field(default_factory=dict)  # "comment", "login_access"
    values: Mapping[str, str] = field(default_factory=dict)
    # The plan, the login reference (R6), people and file links: only for those who take part
    # in the channel and (R7) the communications conversation; others see its status only.
    full: bool = True


@dataclass(frozen=True)
class StatusStep:
    """One step of the way to an active channel."""

    label: str
    done: bool


@dataclass(frozen=True)
class RequestStatusView:
    """The requester's live status card for a channel request."""

    summary: ChannelSummary
    version: int
    steps: tuple[StatusStep, ...]
    refresh_user_ids: tuple[str, ...] = ()
    decision: Decision | None = None
    notice: str | None = None


@dataclass(frozen=True)
class EditorInviteView:
    """The card asking a nominated editor to accept or decline (R3)."""

    summary: ChannelSummary
    editor_id: int  # the nomination's id
    invited_by: str
    answer: str | None = None  # set once answered: "Du har tackat ja" etc.
    notice: str | None = None


@dataclass(frozen=True)
class NominateView:
    """Asks the requester for another editor after a decline (R3)."""

    summary: ChannelSummary
    declined: str  # who declined
    error: str | None = None
    done: str | None = None  # set once a new editor was named


@dataclass(frozen=True)
class RegistrationView:
    """Asks for the new account's address, then registers the channel (R8)."""

    summary: ChannelSummary
    version: int
    value: str = ""
    error: str | None = None
    hint: str = ""  # e.g. "https://www.instagram.com/..."
    done: str | None = None  # set once registered


@dataclass(frozen=True)
class MyChannelRow:
    """One line of "Mina kanaler"."""

    name: str
    platform: str
    unit: str
    role: str
    status: str
    next_due: str | None = None
    overdue: bool = False


@dataclass(frozen=True)
class MyChannelsView:
    """The channels where I am requester, manager or editor."""

    rows: tuple[MyChannelRow, ...]
    # R13: closed channels leave the list; only their names are shown apart.
    closed: tuple[str, ...] = ()


@dataclass(frozen=True)
class CommsSummaryView:
    """A new plan as shown to the communications department (R7)."""

    summary: ChannelSummary
    sections: tuple[PlanSection, ...]
    version: int
    sent: str | None = None  # set after a comment was forwarded: "Skickat till ..."
    error: str | None = None
