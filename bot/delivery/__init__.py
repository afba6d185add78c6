"""Outbound: the outbox's delivery loop (proactive Teams messages, card updates, e-mail),
pacing below Teams' limits, and the scheduler that runs the flows' sweeps.

May import: bot.settings, bot.integrations, bot.teams; dialogs, cards, storage, domain.
"""
