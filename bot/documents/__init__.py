"""Documents the flows produce or keep: the social media plan as Word (R5), records packages
(R12, R13) and files from the chat kept as records.

May import: bot.settings, bot.web, bot.teams; dialogs, cards, storage, domain.
"""
