"""Public HTTP pages and file links: the channel registry (R8) and signed, expiring links.

May import: bot.settings; dialogs, cards, storage, domain. Not the Teams edge.
"""
