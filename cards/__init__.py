"""Adaptive Cards and message catalogs: pure functions from views to card JSON, and the Swedish
and English texts (locales/). May import: domain. Never storage, dialogs or bot.
"""
