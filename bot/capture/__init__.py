"""Captures of a channel's public pages for the half-yearly documentation (R12).

Importing this package imports no browser: Playwright is imported only by `bot.capture.browser`
when the capture worker starts a browser.

May import: bot.settings, bot.delivery; cards, storage, domain. Never the Teams edge.
"""
