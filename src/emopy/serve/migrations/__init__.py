"""Alembic migrations of the server database, applied at startup (see emopy.serve.db.migrate)."""
