"""The database: SQLAlchemy models, Alembic migrations, queries, files on disk, leases.

May import: domain. Never cards, dialogs or bot.
"""
