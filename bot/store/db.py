"""Connections to the project's own database: SQLite on one machine, PostgreSQL in production.

SQLite is shared by the action server and the gateway, so it runs in WAL mode with a busy timeout,
and every transaction starts with BEGIN IMMEDIATE: writers queue up instead of failing halfway.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

if TYPE_CHECKING:
    from alembic.config import Config

REPO = Path(__file__).resolve().parents[2]
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BUSY_TIMEOUT_MS = 15_000
# How long a connection waits for PostgreSQL to come back (a restart, a fail-over) before it fails.
# Rasa's tracker store (privacy/tracker_store.py) waits as long, so the whole message rides it out.
RECONNECT_SECONDS = 15.0
# Any constant: serialises migrations of processes that start at the same moment on PostgreSQL.
_MIGRATION_LOCK = 0x5C4E1D

_engines: dict[str, Engine] = {}
_sessions: dict[str, sessionmaker] = {}
_lock = threading.Lock()
log = logging.getLogger(__name__)

READ_ONLY = "scheidingspunt_read_only"  # execution option: begin a deferred SQLite transaction


def database_url() -> str:
    """`DATABASE_URL`, or a SQLite file in `<repo>/var/` for one-machine use."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        # Hosting platforms hand out postgres://, which SQLAlchemy 1.4 no longer accepts.
        return "postgresql://" + url[len("postgres://"):] if url.startswith("postgres://") else url
    (REPO / "var").mkdir(exist_ok=True)
    return f"sqlite:///{REPO / 'var' / 'scheidingspunt.db'}"


def write_ahead(cursor, in_memory: bool = False) -> None:
    """A SQLite connection with a write-ahead log, synced at checkpoints rather than at every commit.
    Also used by Rasa's tracker store (privacy/tracker_store.py) for its own SQLite file."""
    if not in_memory and cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        cursor.execute("PRAGMA journal_mode = WAL")  # persistent: stored in the file
    cursor.execute("PRAGMA synchronous = NORMAL")  # per connection; safe with WAL, and much faster


def sqlite_pool(in_memory: bool) -> dict:
    """create_engine() arguments that keep SQLite connections open between sessions. SQLAlchemy 1.4
    opens and closes a file database's connection per session (NullPool); closing the last one
    checkpoints the write-ahead log with an fsync and deletes it, and the next session creates it
    again: a large part of each message's cost (issue 15). An in-memory database keeps SQLAlchemy's
    own choice (one connection per thread). Beyond the pool's five, connections open and close as
    before (no overflow limit): a burst never waits for a free one."""
    args: dict = {"connect_args": {"check_same_thread": False}}
    if not in_memory:
        args.update(poolclass=QueuePool, pool_size=5, max_overflow=-1)
    return args


def _prepare_sqlite(engine: Engine, in_memory: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # Let SQLAlchemy, not the driver, decide when a transaction begins (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        write_ahead(cursor, in_memory)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        # Take the write lock up front: a deferred transaction that read first could not write later
        # (SQLITE_BUSY_SNAPSHOT) once another process has written in between. Read-only work
        # (read_scope) begins deferred and so does not queue behind writers.
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def _wait_for_server(engine: Engine) -> None:
    """New connections wait up to RECONNECT_SECONDS while the server cannot be reached. With the pool's
    pre-ping, a session begun during a restart gets a fresh connection once the server is back instead
    of failing, so a callback booked at that moment is kept rather than refused (the gateway, the
    actions and the console alike). A wrong password fails the same way, only later."""

    @event.listens_for(engine, "do_connect")
    def _connect(dialect, _record, cargs, cparams):
        deadline = time.monotonic() + RECONNECT_SECONDS
        while True:
            try:
                return dialect.dbapi.connect(*cargs, **cparams)
            except dialect.dbapi.OperationalError:
                if time.monotonic() > deadline:
                    raise
                log.warning("store: the database cannot be reached; trying again")
                time.sleep(0.5)


def engine(url: str | None = None) -> Engine:
    """One engine per URL for the whole process."""
    url = url or database_url()
    with _lock:
        if url not in _engines:
            parsed = make_url(url)
            if parsed.get_backend_name() == "sqlite":
                in_memory = parsed.database in (None, "", ":memory:")
                created = create_engine(url, future=True, **sqlite_pool(in_memory))
                _prepare_sqlite(created, in_memory)
            else:
                created = create_engine(url, future=True, pool_pre_ping=True)
                _wait_for_server(created)
            _engines[url] = created
            _sessions[url] = sessionmaker(bind=created, future=True, expire_on_commit=False)
        return _engines[url]


def dispose_engines() -> None:
    """Close every pooled connection (tests, and processes that fork)."""
    with _lock:
        for created in _engines.values():
            created.dispose()
        _engines.clear()
        _sessions.clear()


@contextmanager
def read_scope(url: str | None = None) -> Iterator[Session]:
    """A session for reading only: on SQLite it takes no write lock (nothing is committed)."""
    url = url or database_url()
    engine(url)
    session = _sessions[url]()
    try:
        session.connection(execution_options={READ_ONLY: True})
        yield session
    finally:
        session.close()  # ends the transaction without expiring what was read (unlike rollback)


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A session whose work is committed at the end of the block, or rolled back on an error.

    Objects stay readable after the block (expire_on_commit=False).
    """
    url = url or database_url()
    engine(url)
    session = _sessions[url]()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@contextmanager
def exclusive(key: int, url: str | None = None) -> Iterator[bool]:
    """Whether this process may do now what only one process may do at a time (`key`: any constant).

    On PostgreSQL a transaction-level advisory lock, tried without waiting and held on a connection of
    its own until the block ends (also when the process dies: the connection goes, and the lock with
    it). SQLite serves one gateway only: always True.
    """
    created = engine(url)
    if created.dialect.name != "postgresql":
        yield True
        return
    with created.connect() as connection, connection.begin():
        yield bool(connection.execute(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": key}).scalar())


def alembic_config(url: str | None = None) -> Config:
    """Alembic's configuration, built in code: it works from any working directory. Alembic is imported
    here, not at the top: only the processes that migrate (bot.startup, the gateway, the console) need
    it, and Rasa and the action server save about 9 MB each without it (issue 15)."""
    from alembic.config import Config  # noqa: PLC0415 - see the docstring

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # ConfigParser interpolation: a '%' in a password must be doubled.
    config.set_main_option("sqlalchemy.url", (url or database_url()).replace("%", "%%"))
    return config


def migrate(url: str | None = None) -> None:
    """Bring the database to the newest schema (`alembic upgrade head`)."""
    from alembic import command  # noqa: PLC0415 - see alembic_config

    url = url or database_url()
    config = alembic_config(url)
    with engine(url).begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
