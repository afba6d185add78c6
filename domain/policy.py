"""The organisation's policy: numbers a municipality may set differently from RULES.md.

The policy is a TOML file (`KANALKOLLEN_POLICY`); every value has a default that follows
RULES.md, so an empty file (or none) is a valid policy. A wrong key or a wrong type stops
start-up with the key named (`PolicyError`). This module holds the policy's shape; reading and
checking a file is domain/policy_file.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class PolicyError(ValueError):
    """The policy file has a key or a value that the policy does not know."""


@dataclass(frozen=True)
class DeliveryPolicy:
    """How proactive messages and e-mails leave the outbox."""

    max_attempts: int = 8
    backoff_base_seconds: float = 5.0
    backoff_max_seconds: float = 3600.0
    lease_seconds: float = 60.0
    # Teams allows about 7 messages a second into one conversation; we stay below it.
    per_conversation_per_second: float = 6.0
    # Our own budget of Bot Connector requests per tenant and second (Teams' limit is higher).
    per_tenant_per_second: float = 30.0
    batch_size: int = 50


@dataclass(frozen=True)
class ChannelPolicy:
    """Numbers of the channel rules (R2, R3, R12)."""

    # R3: every channel has at least two editors.
    min_editors: int = 2
    max_editors: int = 10
    # R2: the manager is reminded when a request waits this many days for a decision.
    approval_reminder_days: int = 3
    # R12: documented at least every half year.
    documentation_interval_months: int = 6


# RFC 2606 / RFC 6761 names that can never be a real mailbox.
EXAMPLE_MAILBOX = "registret@example.org"

_RESERVED_DOMAINS = ("example.org", "example.com", "example.net")

_RESERVED_TOP_LEVELS = ("example", "invalid", "test", "localhost")


def reaches_nobody(address: str) -> bool:
    """True for an address on a reserved example domain: mail to it reaches no real person."""
    domain = address.rpartition("@")[2].strip().lower().rstrip(".")
    if domain.rpartition(".")[2] in _RESERVED_TOP_LEVELS:
        return True
    return any(domain == name or domain.endswith("." + name) for name in _RESERVED_DOMAINS)


def deployment_problems(policy: Policy) -> list[str]:
    """What a real deployment must still set: example values that would reach nobody."""
    problems = []
    if reaches_nobody(policy.registry.mailbox):
        problems.append(
            f"Policy key 'registry.mailbox' is the example address {policy.registry.mailbox!r}: "
            "set the mailbox of the administration that keeps the public list (R8) in the "
            "policy file (KANALKOLLEN_POLICY)."
        )
    return problems


@dataclass(frozen=True)
class RegistryPolicy:
    """Where registration notices go (R8)."""

    # R8: the city's central administration keeps the public list; its editorial mailbox.
    # The default reaches nobody: a deployment names its own (checked at a non-local start).
    mailbox: str = EXAMPLE_MAILBOX
    # The administration named as responsible in the public list.
    administration: str = "Skol- och fritidsförvaltningen"


@dataclass(frozen=True)
class TemplatePolicy:
    """Links to the organisation's templates and documents (empty: not shown)."""

    # R5: the "Plan för sociala medier" template.
    plan_template_url: str = ""
    # R10: the consent agreement template.
    consent_template_url: str = ""
    # R11: the records management plan (its Kommunikation tab).
    records_plan_url: str = ""


@dataclass(frozen=True)
class DocumentationPolicy:
    """When documentation reminders (R12) go out, and to whom when nobody documents."""

    # R12: the editors are reminded this many days before the due date, on the day, and then
    # every repeat_every_days after it.
    reminder_days_before: int = 14
    repeat_every_days: int = 7
    # R1: past this many days overdue the manager is told.
    escalate_after_days: int = 14
    # Reminders are sent in office hours only: Python weekdays (0 = Monday), [start, end) hours.
    office_days: tuple[int, ...] = (0, 1, 2, 3, 4)
    office_start_hour: int = 8
    office_end_hour: int = 17
    time_zone: str = "Europe/Stockholm"
    # Caps one sweep so that an import of many overdue channels does not flood Teams;
    # the rest come in later sweeps.
    max_reminders_per_sweep: int = 500
    # R12/R13: where documentation packages go (the unit's registrar); empty = kept in the bot.
    records_mailbox: str = ""
    # Largest screenshot or PDF accepted, in megabytes.
    max_file_mb: int = 10
    # Kanalkollen's own captures of a round that was cancelled or replaced by a later round
    # are deleted this many days after they were taken; those of finished rounds are kept.
    abandoned_capture_days: int = 30
    # Kanalkollen's own captures one editor may ask for in a day (over all their channels), and
    # one channel may get in a day (its editors' and the round's own); more is refused with a
    # sentence, and the editor sends screenshots instead (issue 24, point 9).
    max_captures_per_person_per_day: int = 20
    max_captures_per_channel_per_day: int = 30


# R10: the uses a consent check asks about; written consent is required for the policy's list.
CONSENT_USES = ("one_post", "several_contexts")


@dataclass(frozen=True)
class ConsentPolicy:
    """Consent before publishing (R9, R10) and removal after a withdrawal (R11)."""

    # R9: under this age the guardian (vårdnadshavare) answers for the child.
    guardian_age: int = 15
    # R10: uses that need written consent; "several_contexts" by the rule, a unit may add
    # "one_post" to require written consent always.
    written_consent_for: tuple[str, ...] = ("several_contexts",)
    # The editor is asked for the post's address after a check; reminded after this many days.
    post_address_reminder_days: int = 2
    # Open removal tasks remind the editors every this many days ...
    removal_reminder_days: int = 2
    # ... and are escalated to the channel's manager after this many days.
    removal_escalate_after_days: int = 7


# Issue 27: the formats a records package can have.
PACKAGE_FORMATS = ("eark-sip", "zip")

# R11: what the records management plan (tab Kommunikation) allows for each kind of material.
CULLING_KINDS = ("image", "post", "comment")

CULLING_RULES = ("cull", "capture", "keep")


@dataclass(frozen=True)
class CullingRule:
    """One line of the records plan: how a kind of material may be deleted (R11).

    - "cull": may be culled (gallras) when of passing importance; otherwise as "capture";
    - "capture": must be captured (archived) first unless the latest documentation covers it;
    - "keep": must be kept; the bot advises against deleting it.
    """

    kind: str
    rule: str


@dataclass(frozen=True)
class AnswersPolicy:
    """Free-text questions answered from the rules (R1-R13)."""

    # A folder of the municipality's own ways of asking (domain/answers/extra.py); relative
    # to the policy file. Empty: the shipped files only.
    extra_dir: str = ""


@dataclass(frozen=True)
class LanguagePolicy:
    """Which language the bot answers in when a person has not chosen one.

    Empty: the language of the person's Teams client (the activity's locale). "sv" or "en":
    that language, whatever the client says (some clients always send en-US).
    """

    default: str = ""


@dataclass(frozen=True)
class RecordsPolicy:
    """The records rules before deleting (R11) and when closing a channel (R13)."""

    # Defaults written from R11. A unit adapts them to its own dokumenthanteringsplan, e.g.
    # rule = "keep" for posts if its plan says that published posts are kept (bevaras).
    culling: tuple[CullingRule, ...] = (
        CullingRule(kind="image", rule="capture"),
        CullingRule(kind="post", rule="capture"),
        CullingRule(kind="comment", rule="cull"),
    )
    # R13: the manager is reminded when a submitted closing waits this many days.
    closing_reminder_days: int = 3
    # How the records packages (R11-R13) are made: "eark-sip" (E-ARK SIP 2.1.0, which is
    # Riksarkivet's FGS Paketstruktur 2.0) or "zip" (a zip with an index of Kanalkollen's own).
    package_format: str = "eark-sip"
    # Named in each SIP's METS when set: the submission agreement (leveransöverenskommelse)
    # and the reference code (diarienummer or series code) of the administration's records.
    submission_agreement: str = ""
    reference_code: str = ""
    # A package up to this size goes to the records mailbox as one attachment; a larger one is
    # kept and mailed as a signed link valid link_days, with its SHA-256 and size.
    max_attachment_mb: int = 20
    link_days: int = 30

    def rule_for(self, kind: str) -> str:
        """The culling rule for a kind of material; "capture" when the plan does not say."""
        for line in self.culling:
            if line.kind == kind:
                return line.rule
        return "capture"


@dataclass(frozen=True)
class Deputy:
    """Someone who may decide for a unit's manager (AAD object id)."""

    unit: str
    aad_object_id: str


@dataclass(frozen=True)
class Policy:
    """The whole policy; sections mirror the TOML tables."""

    delivery: DeliveryPolicy = field(default_factory=DeliveryPolicy)
    channels: ChannelPolicy = field(default_factory=ChannelPolicy)
    registry: RegistryPolicy = field(default_factory=RegistryPolicy)
    templates: TemplatePolicy = field(default_factory=TemplatePolicy)
    documentation: DocumentationPolicy = field(default_factory=DocumentationPolicy)
    consent: ConsentPolicy = field(default_factory=ConsentPolicy)
    records: RecordsPolicy = field(default_factory=RecordsPolicy)
    language: LanguagePolicy = field(default_factory=LanguagePolicy)
    answers: AnswersPolicy = field(default_factory=AnswersPolicy)
    # People (AAD object ids) who may run admin commands, e.g. pick the communications channel.
    admins: tuple[str, ...] = ()
    deputies: tuple[Deputy, ...] = ()

    @property
    def units(self) -> tuple[str, ...]:
        """The units the policy names (those with deputies), for the form's list (R2)."""
        return tuple(sorted({d.unit.strip() for d in self.deputies}, key=str.casefold))

    def deputies_for(self, unit: str) -> tuple[str, ...]:
        """The AAD object ids that may decide for a unit's manager."""
        wanted = unit.casefold().strip()
        return tuple(d.aad_object_id for d in self.deputies if d.unit.casefold().strip() == wanted)
