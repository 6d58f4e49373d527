"""Alembic environment: runs on the connection `bot.store.db.migrate` hands over, or on its own
from the command line (`alembic -c bot/store/alembic.ini upgrade head`)."""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context

from bot.store.db import database_url, engine
from bot.store.models import Base

config = context.config
target_metadata = Base.metadata

# Only the command line configures logging: inside the application it would overwrite the app's own.
if config.config_file_name is not None and "connection" not in config.attributes:
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        # SQLite can only change a column by copying the table; batch mode does that for later migrations.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url") or database_url(),
        target_metadata=target_metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    # Our engine, so that SQLite gets the same WAL mode and locking as the application.
    with engine(config.get_main_option("sqlalchemy.url") or database_url()).connect() as connection:
        _run(connection)
        connection.commit()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
