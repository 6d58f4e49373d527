"""The project's own storage (besides Rasa's tracker store): SQLAlchemy models, Alembic migrations,
callback booking and the anonymous records of a conversation.

    from bot.store import migrate, session_scope
    from bot.store import callbacks, records
"""

from bot.store.db import database_url, engine, migrate, session_scope

__all__ = ["database_url", "engine", "migrate", "session_scope"]
