"""The `kanalkollen` command: serve, migrate, remind, channels import, registry export,
person export/erase, manifest build (main.py), and the one-shot jobs it runs.

May import: anything in bot/ and the other packages; nothing imports it.
"""
