"""The outside services the flows use: Microsoft Graph (people, managers, sendMail) and the
e-mail transports (SMTP, Graph, none).

May import: bot.settings; dialogs (the ports they implement), storage, domain.
"""
