"""The edge and the process: everything that talks to Teams, e-mail, Graph, browsers and HTTP.

Rooms, lowest first; a room imports only rooms above it in this list (tests/test_architecture.py
checks it), and any of dialogs/, cards/, storage/, domain/:

    settings.py     the only reader of the environment
    web/            public pages and signed file links (aiohttp routes)
    integrations/   Microsoft Graph and the e-mail transports
    teams/          the Teams edge: /api/messages, the adapter, the activity handler, uploads
    delivery/       the outbox's delivery loop, proactive messages, pacing, the scheduler
    documents/      Word plans, records packages, files from the chat kept as records
    capture/        captures of public pages in a headless browser (R12)
    assembly.py     builds the services, flows and loops of one process
    app.py          create_app(): the aiohttp application
    cli/            the `kanalkollen` command
"""
