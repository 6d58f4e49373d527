"""Retention (bot/store/retention.py): conversations go from both stores CONVERSATION_RETENTION_DAYS after
their last moment, on a clock the tests set. The main test runs on SQLite and on PostgreSQL (slow)."""

from __future__ import annotations

import asyncio
import secrets
from datetime import date, datetime, time, timedelta, timezone

import pytest
from aiohttp.test_utils import TestServer
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from sqlalchemy import create_engine, func, insert, select

from bot.gateway import housekeeping
from bot.gateway.app import Settings, build_app
from bot.store import callbacks, records, retention
from bot.store.db import session_scope
from bot.store.models import (
    Callback,
    CallbackSlot,
    Conversation,
    Event,
    Feedback,
    HandoffRequest,
    LiveMessage,
    SchemesOutcome,
    ScreeningOutcome,
)
from tests.support.store import DATABASES, database_for

NOW = datetime(2030, 6, 1, 12, 0, tzinfo=timezone.utc)
DAYS = 90
OWN_TABLES = (Conversation, LiveMessage, HandoffRequest, Callback, ScreeningOutcome, SchemesOutcome, Feedback)


class Stores:
    """The own store (`url`) and a Rasa tracker store (`tracker`, made by Rasa's own SQLTrackerStore),
    with `env`: the TRACKER_* variables that point at it."""

    def __init__(self, url: str, tracker: SQLTrackerStore, env: dict[str, str]) -> None:
        self.url, self.tracker, self.env = url, tracker, env

    def message(self, sender: str, at: datetime) -> None:
        """One event in the tracker store, as Rasa writes it."""
        with self.tracker.engine.begin() as connection:
            connection.execute(insert(SQLTrackerStore.SQLEvent.__table__).values(
                sender_id=sender, type_name="user", timestamp=at.timestamp(), data='{"event": "user"}'))

    def senders(self) -> set[str]:
        with self.tracker.engine.connect() as connection:
            return set(connection.execute(select(SQLTrackerStore.SQLEvent.sender_id).distinct()).scalars())

    def own_rows(self, conversation_id: str) -> dict[str, int]:
        with session_scope(self.url) as session:
            counts = {}
            for model in OWN_TABLES:
                column = model.id if model is Conversation else model.conversation_id
                counts[model.__tablename__] = session.execute(
                    select(func.count()).select_from(model).where(column == conversation_id)).scalar_one()
            return counts

    def figures(self) -> int:
        with session_scope(self.url) as session:
            return session.execute(select(func.count()).select_from(Event)).scalar_one()

    def run(self, **options) -> retention.Purged:
        return retention.run(NOW, environ=self.env, store_url=self.url, **options)


def own_traces(url: str, conversation_id: str, at: datetime, *, callback_day: date | None = None,
               callback_status: str = "done") -> None:
    """A row of this conversation in every own table, all written at `at`; and an anonymous figure."""
    with session_scope(url) as session:
        session.add_all([
            Conversation(id=conversation_id, channel="web", address=f"addr-{conversation_id}", mode="bot",
                         mode_since=at, created_at=at, updated_at=at),
            LiveMessage(conversation_id=conversation_id, author="user", text="hallo", created_at=at),
            HandoffRequest(conversation_id=conversation_id, municipality="twenterand", status="closed",
                           created_at=at, taken_at=at, closed_at=at),
            Callback(reference=callbacks.new_reference(), conversation_id=conversation_id, municipality="twenterand",
                     slot_date=callback_day or at.date(), window_start=time(9), window_end=time(12),
                     phone_masked="06-****5678", status=callback_status, created_at=at,
                     closed_at=None if callback_status == "pending" else at),
            ScreeningOutcome(conversation_id=conversation_id, municipality="twenterand", level="informatie",
                             domains=[], created_at=at),
            SchemesOutcome(conversation_id=conversation_id, municipality="twenterand", schemes=[], created_at=at),
            Feedback(conversation_id=conversation_id, context="faq", helpful=True, created_at=at),
        ])
        records.record_event(session, "conversation_started", "twenterand", at=at)


def _rasa_store(kind: str, tmp_path, request) -> tuple[SQLTrackerStore, dict[str, str]]:
    if kind == "sqlite":
        path = str(tmp_path / "tracker.db")
        return (SQLTrackerStore(Domain.empty(), dialect="sqlite", db=path),
                {"TRACKER_DIALECT": "sqlite", "TRACKER_DB": path})
    server = request.getfixturevalue("postgres")
    name = f"tracker_{secrets.token_hex(6)}"
    store = SQLTrackerStore(Domain.empty(), dialect="postgresql", host=server.host, port=server.port,
                            username=server.user, db=name, login_db="postgres")
    return store, {"TRACKER_DIALECT": "postgresql", "TRACKER_HOST": f"{server.host}:{server.port}",
                   "TRACKER_USER": server.user, "TRACKER_PASSWORD": "", "TRACKER_DB": name}


@pytest.fixture(params=DATABASES)
def stores(request, tmp_path):
    for url in database_for(request, tmp_path):
        tracker, env = _rasa_store(request.param, tmp_path, request)
        try:
            yield Stores(url, tracker, env)
        finally:
            tracker.engine.dispose()


@pytest.fixture
def sqlite_stores(sqlite_store, tmp_path):
    tracker, env = _rasa_store("sqlite", tmp_path, None)
    yield Stores(sqlite_store, tracker, env)
    tracker.engine.dispose()


def conversation(stores: Stores, sender: str, first: datetime, last: datetime | None = None) -> None:
    """A conversation with its own rows at `first` and tracker messages at `first` and `last`."""
    own_traces(stores.url, sender, first)
    stores.message(sender, first)
    if last is not None:
        stores.message(sender, last)


# --- the rule, on both stores -----------------------------------------------------------------------


def test_old_conversations_go_from_both_stores_and_the_rest_stays(stores):
    conversation(stores, "old", NOW - timedelta(days=91))
    conversation(stores, "recent", NOW - timedelta(days=89))
    conversation(stores, "ongoing", NOW - timedelta(days=100), last=NOW - timedelta(days=1))
    figures = stores.figures()

    purged = stores.run()

    assert stores.senders() == {"recent", "ongoing"}
    assert asyncio.run(stores.tracker.retrieve("old")) is None  # Rasa itself finds nothing
    assert set(stores.own_rows("old").values()) == {0}
    assert set(stores.own_rows("recent").values()) == {1}
    assert set(stores.own_rows("ongoing").values()) == {1}  # kept whole: its old rows too
    assert stores.figures() == figures == 3  # the anonymous counts stay
    assert (purged.conversations, purged.tracker_events, purged.rows) == (1, 1, len(OWN_TABLES))
    assert stores.run().conversations == 0


def test_the_limit_is_exact(sqlite_stores):
    conversation(sqlite_stores, "a", NOW - timedelta(days=DAYS))
    conversation(sqlite_stores, "b", NOW - timedelta(days=DAYS, seconds=1))
    sqlite_stores.run()
    assert sqlite_stores.senders() == {"a"}


def test_recent_own_rows_keep_an_old_tracker_conversation(sqlite_stores):
    """A parent talking to an expert writes live messages, not tracker events."""
    conversation(sqlite_stores, "live", NOW - timedelta(days=100))
    with session_scope(sqlite_stores.url) as session:
        session.add(LiveMessage(conversation_id="live", author="user", text="nog een vraag",
                                created_at=NOW - timedelta(days=1)))
    sqlite_stores.run()
    assert sqlite_stores.senders() == {"live"}
    assert sqlite_stores.own_rows("live")["live_messages"] == 2


def test_own_rows_without_tracker_events_follow_the_same_rule(sqlite_stores):
    own_traces(sqlite_stores.url, "old", NOW - timedelta(days=91))
    own_traces(sqlite_stores.url, "recent", NOW - timedelta(days=89))
    assert sqlite_stores.run().conversations == 1
    assert set(sqlite_stores.own_rows("old").values()) == {0}
    assert set(sqlite_stores.own_rows("recent").values()) == {1}


def test_an_open_callback_ahead_keeps_its_conversation(sqlite_stores):
    long_ago = NOW - timedelta(days=100)
    own_traces(sqlite_stores.url, "ahead", long_ago, callback_day=NOW.date() + timedelta(days=2),
               callback_status="pending")
    sqlite_stores.message("ahead", long_ago)
    own_traces(sqlite_stores.url, "passed", long_ago, callback_day=NOW.date() - timedelta(days=2),
               callback_status="pending")
    sqlite_stores.message("passed", long_ago)
    own_traces(sqlite_stores.url, "ahead-own-store-only", long_ago, callback_day=NOW.date() + timedelta(days=2),
               callback_status="pending")
    sqlite_stores.run()
    assert sqlite_stores.senders() == {"ahead"}
    assert set(sqlite_stores.own_rows("ahead").values()) == {1}
    assert set(sqlite_stores.own_rows("ahead-own-store-only").values()) == {1}
    assert set(sqlite_stores.own_rows("passed").values()) == {0}


def test_a_deleted_pending_callback_gives_its_place_back(sqlite_stores):
    day = NOW.date() - timedelta(days=2)
    own_traces(sqlite_stores.url, "passed", NOW - timedelta(days=100), callback_day=day, callback_status="pending")
    with session_scope(sqlite_stores.url) as session:
        session.add(CallbackSlot(municipality="twenterand", slot_date=day, window_start=time(9), capacity=1,
                                 booked=1))
    sqlite_stores.run()
    with session_scope(sqlite_stores.url) as session:
        assert session.execute(select(CallbackSlot.booked)).scalar_one() == 0


def test_batches_hold_at_most_batch_size_conversations(sqlite_stores, monkeypatch):
    for n in range(5):
        conversation(sqlite_stores, f"tracker-{n}", NOW - timedelta(days=91))
    for n in range(3):
        own_traces(sqlite_stores.url, f"own-{n}", NOW - timedelta(days=91))
    sizes = []
    erase = retention.erase_conversations
    monkeypatch.setattr(retention, "erase_conversations", lambda session, ids: sizes.append(len(ids))
                        or erase(session, ids))
    purged = sqlite_stores.run(batch_size=2)
    assert purged.conversations == 8
    assert sizes == [2, 2, 1, 2, 1]  # tracker pages, then own-store pages
    assert purged.batches == 5
    assert sqlite_stores.senders() == set()


def test_a_message_between_choosing_and_deleting_keeps_the_conversation(sqlite_stores):
    conversation(sqlite_stores, "back", NOW - timedelta(days=91))
    sqlite_stores.message("back", NOW)
    engine = create_engine(sqlite_stores.tracker.engine.url)
    with engine.begin() as connection:
        assert retention.delete_tracker_events(connection, ["back"], NOW - timedelta(days=DAYS)) == 0
    engine.dispose()
    assert sqlite_stores.senders() == {"back"}


def test_without_the_tracker_store_nothing_is_deleted(sqlite_stores, caplog):
    conversation(sqlite_stores, "old", NOW - timedelta(days=91))
    assert retention.run(NOW, environ={}, store_url=sqlite_stores.url) is None
    assert set(sqlite_stores.own_rows("old").values()) == {1}
    assert "TRACKER_DIALECT is not set" in caplog.text


def test_only_counts_are_logged(sqlite_stores, caplog):
    caplog.set_level("INFO", logger="bot.store.retention")
    conversation(sqlite_stores, "secret-sender", NOW - timedelta(days=91))
    sqlite_stores.run()
    assert "1 conversations deleted" in caplog.text and "secret-sender" not in caplog.text


# --- configuration ---------------------------------------------------------------------------------


@pytest.mark.parametrize("value, expected", [(None, 90), ("", 90), ("30", 30), (" 1 ", 1), ("365", 365)])
def test_retention_days(value, expected):
    environ = {} if value is None else {retention.RETENTION_VARIABLE: value}
    assert retention.retention_days(environ) == expected


@pytest.mark.parametrize("value", ["0", "-5", "abc", "1.5", "90d"])
def test_retention_days_rejects_nonsense(value):
    with pytest.raises(ValueError, match=retention.RETENTION_VARIABLE):
        retention.retention_days({retention.RETENTION_VARIABLE: value})


@pytest.mark.parametrize("env, rasa", [
    ({"TRACKER_DIALECT": "sqlite", "TRACKER_DB": "var/tracker.db", "TRACKER_HOST": "", "TRACKER_USER": "",
      "TRACKER_PASSWORD": ""}, dict(dialect="sqlite", host="", db="var/tracker.db", username="", password="")),
    ({"TRACKER_DIALECT": "postgresql", "TRACKER_DB": "rasa", "TRACKER_HOST": "db.example:6543",
      "TRACKER_USER": "rasa", "TRACKER_PASSWORD": "p@ss%"},
     dict(dialect="postgresql", host="db.example:6543", db="rasa", username="rasa", password="p@ss%")),
    ({"TRACKER_DIALECT": "postgresql", "TRACKER_DB": "x", "TRACKER_HOST": "postgresql://u:p@h/d"},
     dict(dialect="postgresql", host="postgresql://u:p@h/d", db="x")),
])
def test_tracker_url_is_the_one_rasa_builds(env, rasa):
    expected = SQLTrackerStore.get_db_url(**rasa)
    assert str(retention.tracker_url(env)) == str(expected)
    assert retention.tracker_url({}) is None


# --- the scheduler -----------------------------------------------------------------------------------


def test_the_gateway_runs_retention_at_start_up_and_hourly(sqlite_stores, monkeypatch):
    for name, value in sqlite_stores.env.items():
        monkeypatch.setenv(name, value)
    now = datetime.now(timezone.utc)
    conversation(sqlite_stores, "old", now - timedelta(days=91))
    conversation(sqlite_stores, "new", now - timedelta(days=1))
    app = build_app(Settings(secret="t"), with_telegram=False)

    async def scenario():
        server = TestServer(app)
        await server.start_server()
        try:
            state = app[housekeeping.APP_KEY]
            await asyncio.wait_for(state.first_pass.wait(), timeout=30)
            assert not state.task.done()  # still scheduled: the next pass comes in an hour
        finally:
            await server.close()
        return state

    state = asyncio.run(scenario())
    assert state.passes == 1 and state.task.cancelled()
    assert sqlite_stores.senders() == {"new"}
    assert set(sqlite_stores.own_rows("old").values()) == {0}


def test_the_scheduler_repeats_its_job(monkeypatch):
    from aiohttp import web

    passes = []
    app = web.Application()
    housekeeping.attach(app, interval=0.01, job=lambda: passes.append(1))

    async def scenario():
        server = TestServer(app)
        await server.start_server()
        try:
            for _ in range(200):
                if len(passes) >= 3:
                    break
                await asyncio.sleep(0.01)
        finally:
            await server.close()

    asyncio.run(scenario())
    assert len(passes) >= 3


def test_a_wrong_setting_stops_the_gateway(monkeypatch):
    monkeypatch.setenv(retention.RETENTION_VARIABLE, "nul")
    with pytest.raises(ValueError, match=retention.RETENTION_VARIABLE):
        build_app(Settings(secret="t"), with_telegram=False)
