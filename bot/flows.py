"""Wires the channel flows to the verb router, the text commands and the scheduler."""

from __future__ import annotations

from microsoft_agents.hosting.core import TurnContext

from bot import flows_consent, flows_editors, flows_records, flows_withdrawal
from bot.teams.card_actions import ActionContext, ActionResult, VerbHandler, card_activity
from bot.wiring import Flows, Wiring
from cards.help import help_card
from cards.i18n import Texts
from cards.verbs import Verb
from dialogs.actor import Actor
from dialogs.admin_overview import AdminOverviewFlow
from dialogs.approval import ApprovalFlow
from dialogs.communications import CommunicationsFlow
from dialogs.dialog_runner import DialogRunner
from dialogs.documentation import DIALOG_ID as DOCUMENTATION_DIALOG
from dialogs.documentation import DocumentationDialog, DocumentationFlow, start_options
from dialogs.editors import EditorsFlow
from dialogs.my_channels import MyChannelsFlow
from dialogs.new_channel import NewChannelFlow
from dialogs.registration import RegistrationFlow
from dialogs.services import FlowServices

__all__ = ["Flows", "build_flows"]

MAX_CHANNEL_CARDS = 10  # `dokumentera` from someone who edits more shows the first ten


def build_flows(services: FlowServices, csv_url: str, runner: DialogRunner) -> Flows:
    """Builds every flow once, with its services."""
    wiring = Wiring(services)
    flows = _channel_flows(services, csv_url, runner, wiring)
    for feature in (flows_consent, flows_withdrawal, flows_records, flows_editors):
        flows = flows.merged(feature.build(services, runner, wiring))
    return flows


def _channel_flows(
    services: FlowServices, csv_url: str, runner: DialogRunner, wiring: Wiring
) -> Flows:
    """New channel, approval, editors, registration, overviews and documentation."""
    new_channel = NewChannelFlow(services)
    approval = ApprovalFlow(services)
    editors = EditorsFlow(services)
    registration = RegistrationFlow(services)
    my_channels = MyChannelsFlow(services)
    communications = CommunicationsFlow(services)
    admin_overview = AdminOverviewFlow(services, csv_url)
    documentation = DocumentationFlow(services)
    runner.add(DOCUMENTATION_DIALOG, DocumentationDialog(services))
    acting = wiring.acting
    command = wiring.command

    async def show_help(ctx: ActionContext) -> ActionResult:
        return ActionResult(card=help_card(ctx.texts))

    async def start_documentation(ctx: ActionContext) -> ActionResult:
        """R12: "Dokumentera nu" begins the round in this chat; the card says it waits."""
        channel, refusal = await documentation.may_document(ctx.person_id, dict(ctx.action.data))
        if channel is None or ctx.person_id is None:
            return ActionResult(message=ctx.texts(refusal or "errors.not_allowed"))
        await runner.begin(
            ctx.turn_context, DOCUMENTATION_DIALOG, start_options(ctx.person_id, channel)
        )
        return ActionResult(message=ctx.texts("documentation.started"))

    async def document(turn_context: TurnContext, person_id: int | None, texts: Texts) -> None:
        """R12: `dokumentera` begins the round of the person's one channel, or shows each
        channel's card with *Dokumentera nu* when they edit several."""
        channels = await documentation.to_document(person_id) if person_id is not None else []
        if person_id is None or not channels:
            await turn_context.send_activity(texts("documentation.nothing_to_document"))
        elif len(channels) == 1:
            await runner.begin(
                turn_context, DOCUMENTATION_DIALOG, start_options(person_id, channels[0])
            )
        else:
            await turn_context.send_activity(texts("documentation.which_channel"))
            for channel in channels[:MAX_CHANNEL_CARDS]:
                await turn_context.send_activity(
                    card_activity(documentation.reminder_card(channel, texts))
                )

    verbs: dict[Verb, VerbHandler] = {
        Verb.DOCUMENTATION_START: start_documentation,
        Verb.SHOW_HELP: show_help,
        Verb.CHANNEL_NEW: acting(lambda actor, _data: new_channel.form(actor)),
        Verb.CHANNEL_SUBMIT: acting(new_channel.submit),
        Verb.CHANNEL_STATUS: acting(
            lambda actor, data: new_channel.refresh_status(actor, data.get("channel_id"))
        ),
        Verb.APPROVAL_REFRESH: acting(approval.refresh),
        Verb.EDITOR_NOMINATE: acting(editors.nominate),
        Verb.CHANNEL_REGISTER: acting(registration.register),
        Verb.COMMS_COMMENT: acting(communications.comment),
    }
    for verb in (Verb.APPROVAL_APPROVE, Verb.APPROVAL_REJECT, Verb.APPROVAL_CHANGES):
        verbs[verb] = acting(lambda actor, data, verb=verb: approval.decide(actor, verb, data))
    for verb in (Verb.EDITOR_ACCEPT, Verb.EDITOR_DECLINE):
        verbs[verb] = acting(lambda actor, data, verb=verb: editors.answer(actor, verb, data))

    async def pick_communications(turn_context: TurnContext, actor: Actor) -> str:
        conversation = turn_context.activity.conversation
        return await communications.pick(actor, conversation.id, conversation.conversation_type)

    return Flows(
        verbs=verbs,
        commands={
            "new_channel": command(lambda _turn, actor: new_channel.form(actor)),
            "my_channels": command(lambda _turn, actor: my_channels.card(actor)),
            "communications": command(pick_communications),
            "registry": command(lambda _turn, actor: admin_overview.card(actor)),
            "document": document,
        },
        sweeps={
            "approval_reminders": approval.remind,
            "documentation_reminders": documentation.remind,
        },
    )
