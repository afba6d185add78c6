"""The Teams edge: `/api/messages`, the Agents SDK adapter, the activity handler, the card-action
router, the people and conversations a turn records, the files a message carries.

May import: bot.settings, bot.integrations; dialogs, cards, storage, domain.
"""
