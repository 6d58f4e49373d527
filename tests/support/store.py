"""Databases for the store tests (a migrated SQLite file, or a fresh PostgreSQL database per test), and
builders of what they hold."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, time

import pytest
from sqlalchemy import create_engine

from bot.store import callbacks
from bot.store.db import dispose_engines, migrate, session_scope

DAY = date(2030, 3, 4)
MORNING, NOON = time(9, 0), time(12, 0)
AFTERNOON, EVENING = time(13, 0), time(16, 0)
PHONE, MASKED = "+31612345678", "06-****5678"


@pytest.fixture
def sqlite_store(tmp_path, monkeypatch) -> str:
    """The project's own store on a fresh SQLite file, as DATABASE_URL (what the code reads)."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    migrate(url)
    return url


DATABASES = ("sqlite", "postgresql")  # every store test runs on both


def database_for(request, tmp_path) -> Iterator[str]:
    """The database of a fixture parametrised with DATABASES, for one test (use with `yield from`)."""
    if request.param == "sqlite":
        with sqlite_database(tmp_path) as database:
            yield database
    else:
        with postgres_database(request.getfixturevalue("postgres")) as database:
            yield database


def tracker_store_options(request, tmp_path, prefix: str) -> dict:
    """PrivateSQLTrackerStore's arguments for a fixture parametrised with DATABASES: a SQLite file, or a
    fresh PostgreSQL database per test that the store creates (login_db) with its tables."""
    if request.param == "sqlite":
        return {"dialect": "sqlite", "db": str(tmp_path / "tracker.db")}
    server = request.getfixturevalue("postgres")
    return {"dialect": "postgresql", "host": server.host, "port": server.port, "username": server.user,
            "db": f"{prefix}_{tmp_path.name.lower().replace('-', '_')}", "login_db": "postgres"}


@contextmanager
def sqlite_database(directory) -> Iterator[str]:
    url = f"sqlite:///{directory / 'store.db'}"
    migrate(url)
    try:
        yield url
    finally:
        dispose_engines()


@contextmanager
def postgres_database(server) -> Iterator[str]:
    name = f"store_{secrets.token_hex(6)}"
    admin = create_engine(
        f"postgresql://{server.user}@{server.host}:{server.port}/postgres", isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {name}")
    url = f"postgresql://{server.user}@{server.host}:{server.port}/{name}"
    try:
        migrate(url)
        yield url
    finally:
        dispose_engines()
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


def book(url: str, conversation_id: str = "conv-a", *, capacity: int = 2, start: time = MORNING,
         end: time = NOON, phone: str = PHONE, municipality: str = "twenterand"):
    """Book one callback in its own transaction, as an action would."""
    with session_scope(url) as session:
        return callbacks.book(
            session, conversation_id=conversation_id, municipality=municipality, slot_date=DAY,
            window_start=start, window_end=end, capacity=capacity, phone_e164=phone, phone_masked=MASKED,
        )


def places_left(url: str, capacity: int = 2, start: time = MORNING, municipality: str = "twenterand") -> int:
    with session_scope(url) as session:
        return callbacks.free_capacity(session, municipality, [(DAY, start)], capacity)[(DAY, start)]
