"""The project's own storage, on SQLite and on a real PostgreSQL: schema, booking, privacy."""

from __future__ import annotations

import os
import stat
import threading
from datetime import datetime, time, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from cryptography.fernet import Fernet
from sqlalchemy import Column, MetaData, String, func, inspect, select, text
from sqlalchemy.exc import OperationalError

from bot.store import callbacks, crypto, db, handoffs, records
from bot.store.db import alembic_config, engine, migrate, session_scope
from bot.store.models import (
    Base,
    Callback,
    CallbackDraft,
    Event,
    Feedback,
    HandoffRequest,
    SchemesOutcome,
    ScreeningOutcome,
)
from tests.support.imports import loaded
from tests.support.store import (
    AFTERNOON,
    DATABASES,
    DAY,
    EVENING,
    MASKED,
    MORNING,
    NOON,
    PHONE,
    book,
    database_for,
    places_left,
    postgres_database,
    sqlite_database,
)


@pytest.fixture(autouse=True)
def fernet_key(monkeypatch):
    key = Fernet.generate_key().decode()
    monkeypatch.setenv(crypto.KEY_VARIABLE, key)
    return key


@pytest.fixture(params=DATABASES)
def url(request, tmp_path):
    yield from database_for(request, tmp_path)


# --- schema -------------------------------------------------------------------------------------


def _differences(url: str, metadata: MetaData) -> list:
    with engine(url).connect() as connection:
        return compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), metadata)


def test_migration_creates_the_schema_of_the_models(url):
    tables = set(inspect(engine(url)).get_table_names())
    assert tables == set(Base.metadata.tables) | {"alembic_version"}
    assert _differences(url, Base.metadata) == []
    migrate(url)  # a second start changes nothing and does not fail
    with engine(url).connect() as connection:
        head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == head


def test_schema_comparison_notices_a_difference(url):
    # Guards the test above: the comparison must be able to fail.
    changed = MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(changed)
    changed.tables["callbacks"].append_column(Column("extra", String(8)))
    differences = _differences(url, changed)
    assert [(d[0], d[3].name) for d in differences] == [("add_column", "extra")]


def test_events_hold_no_conversation_id():
    assert "conversation_id" not in Event.__table__.c


def test_sqlite_shares_the_file_safely(tmp_path):
    with sqlite_database(tmp_path) as url, engine(url).connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar_one() == db.BUSY_TIMEOUT_MS


def test_rasa_and_the_action_server_do_not_load_alembic():
    # Only the processes that migrate (bot.startup, the gateway, the console) need it: about 9 MB each.
    modules, _log = loaded("import privacy.tracker_store, actions.callback, actions.handoff, actions.privacy",
                           "alembic")
    assert modules == []


def _refusing(dbapi, monkeypatch, times: int) -> list[int]:
    """The driver refuses the first `times` connections, as PostgreSQL does while it restarts."""
    real, tries = dbapi.connect, []

    def connect(*args, **kwargs):
        tries.append(1)
        if len(tries) <= times:
            raise dbapi.OperationalError("the database system is starting up")
        return real(*args, **kwargs)

    monkeypatch.setattr(dbapi, "connect", connect)
    return tries


def test_postgresql_waits_out_a_restart(postgres, monkeypatch):
    # A callback booked while PostgreSQL restarts is kept, not refused (issue 15's fault test).
    with postgres_database(postgres) as url:
        book(url, "conv-before")
        engine(url).dispose()  # the restart ended every pooled connection
        tries = _refusing(engine(url).dialect.dbapi, monkeypatch, times=3)
        book(url, "conv-during")
        assert len(tries) == 4
        assert places_left(url, capacity=3) == 1


def test_postgresql_gives_up_after_a_while(postgres, monkeypatch):
    monkeypatch.setattr(db, "RECONNECT_SECONDS", 1.0)
    with postgres_database(postgres) as url:
        engine(url).dispose()
        tries = _refusing(engine(url).dialect.dbapi, monkeypatch, times=1_000)
        with pytest.raises(OperationalError):
            with session_scope(url) as session:
                session.execute(text("SELECT 1"))
        assert 2 <= len(tries) <= 5  # tried again every half second, then the error


def test_database_url(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert db.database_url() == f"sqlite:///{db.REPO / 'var' / 'scheidingspunt.db'}"
    assert (db.REPO / "var").is_dir()
    monkeypatch.setenv("DATABASE_URL", "postgres://u@h:5432/d")
    assert db.database_url() == "postgresql://u@h:5432/d"
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg2://u@h/d")
    assert db.database_url() == "postgresql+psycopg2://u@h/d"


# --- booking ------------------------------------------------------------------------------------


def test_booking_until_full(url):
    assert places_left(url, capacity=2) == 2
    first, second = book(url, "a", capacity=2), book(url, "b", capacity=2)
    assert first is not None and second is not None and first.reference != second.reference
    assert places_left(url, capacity=2) == 0
    assert book(url, "c", capacity=2) is None
    # The other window of the same day is untouched; capacity 0 means no bookings at all.
    assert book(url, "c", capacity=2, start=AFTERNOON, end=EVENING) is not None
    assert book(url, "d", capacity=0, start=EVENING, end=time(17, 0)) is None
    with session_scope(url) as session:
        assert session.execute(select(func.count()).select_from(Callback)).scalar_one() == 3
        assert callbacks.booked_places(session, "twenterand", DAY, MORNING) == 2
        free = callbacks.free_capacity(session, "twenterand", [(DAY, MORNING), (DAY, AFTERNOON)], 3)
    # A higher configured capacity opens places again.
    assert free == {(DAY, MORNING): 1, (DAY, AFTERNOON): 2}
    assert book(url, "e", capacity=3) is not None


def test_booking_checks_the_window_and_the_number(url):
    with pytest.raises(ValueError, match="end after"):
        book(url, start=NOON, end=MORNING)
    with pytest.raises(ValueError, match="end after"):
        book(url, start=MORNING, end=MORNING)
    with pytest.raises(ValueError, match="E.164"):
        book(url, phone="0612345678")
    assert places_left(url) == 2


@pytest.mark.parametrize("capacity, booked_before", [(1, 0), (3, 2)])
def test_concurrent_booking_of_the_last_place(url, capacity, booked_before):
    for n in range(booked_before):
        assert book(url, f"early-{n}", capacity=capacity) is not None
    threads_n = 8
    barrier = threading.Barrier(threads_n)
    results, errors = [], []

    def attempt(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            results.append(book(url, f"racer-{n}", capacity=capacity))
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(results) == threads_n
    assert len([r for r in results if r is not None]) == 1
    with session_scope(url) as session:
        assert callbacks.booked_places(session, "twenterand", DAY, MORNING) == capacity
        assert session.execute(select(func.count()).select_from(Callback)).scalar_one() == capacity


def test_cancel_frees_the_place(url):
    callback = book(url, "a", capacity=1)
    assert places_left(url, capacity=1) == 0
    with session_scope(url) as session:
        assert callbacks.cancel(session, callback.reference, conversation_id="someone-else") is None
    assert places_left(url, capacity=1) == 0
    with session_scope(url) as session:
        cancelled = callbacks.cancel(session, callback.reference, conversation_id="a")
        assert cancelled.status == "cancelled" and cancelled.closed_at is not None
    assert places_left(url, capacity=1) == 1
    # Cancelling again finds no open callback, and the place is not given back twice.
    with session_scope(url) as session:
        assert callbacks.cancel(session, callback.reference) is None
    with session_scope(url) as session:
        assert callbacks.booked_places(session, "twenterand", DAY, MORNING) == 0
    assert book(url, "b", capacity=1) is not None
    assert book(url, "c", capacity=1) is None


def test_expert_outcomes(url):
    done, cancelled = book(url, "a"), book(url, "b")
    with session_scope(url) as session:
        assert callbacks.set_status(session, done.id, "done").status == "done"
        assert callbacks.set_status(session, cancelled.id, "cancelled").closed_at is not None
        assert callbacks.set_status(session, "no-such-id", "done") is None
        with pytest.raises(ValueError, match="status must be"):
            callbacks.set_status(session, done.id, "pending")
    with session_scope(url) as session:
        # A done callback keeps its place; a cancelled one gives it back, and stays cancelled.
        assert callbacks.booked_places(session, "twenterand", DAY, MORNING) == 1
        assert callbacks.set_status(session, cancelled.id, "done").status == "cancelled"
        assert callbacks.set_status(session, done.id, "no_answer").status == "no_answer"
        assert callbacks.cancel(session, done.reference) is None  # called already: nothing to cancel
    with session_scope(url) as session:
        assert callbacks.find(session, done.reference).status == "no_answer"
    assert places_left(url) == 1


@pytest.mark.parametrize("spelling", ["{ref}", "{lower}", "{compact}", "{spaced}", " {lower} ", "{lower_compact}"])
def test_reference_lookup_in_any_spelling(url, spelling):
    callback = book(url, "a")
    ref = callback.reference
    typed = spelling.format(ref=ref, lower=ref.lower(), compact=ref.replace("-", ""),
                            spaced=ref.replace("-", " "), lower_compact=ref.replace("-", "").lower())
    with session_scope(url) as session:
        found = callbacks.find(session, typed)
        assert found is not None and found.id == callback.id
        assert callbacks.find(session, typed, conversation_id="b") is None


def test_unknown_references_find_nothing(url):
    ref = book(url, "a").reference
    other_digits = f"{ref[:4]}{(int(ref[4:]) + 1) % 100:02d}"
    with session_scope(url) as session:
        for typed in ("", "   ", other_digits, ref + "1", ref[:3], "ABC-DE", "xyz"):
            assert callbacks.find(session, typed) is None, typed
        assert callbacks.cancel(session, other_digits) is None


def test_reference_shape():
    references = {callbacks.new_reference() for _ in range(500)}
    assert len(references) > 450
    for reference in references:
        assert callbacks.normalize_reference(reference) == reference
        letters, dash, digits = reference[:3], reference[3], reference[4:]
        assert dash == "-" and digits.isdigit() and len(digits) == 2
        assert not set(letters) & set("0O1IL")
    # In the digit part a misread letter is a digit; in the letter part it cannot be a reference.
    assert callbacks.normalize_reference("k7q-4o") == "K7Q-40"
    assert callbacks.normalize_reference("K7O-42") is None
    assert callbacks.normalize_reference("K7Q-4") is None


def test_reference_collision_is_retried(url, monkeypatch):
    taken = book(url, "a").reference
    fresh = iter([taken, taken, "ZZZ-99"])
    monkeypatch.setattr(callbacks, "new_reference", lambda: next(fresh))
    assert book(url, "b").reference == "ZZZ-99"


def _draft(url: str, conversation_id: str = "a", phone: str = PHONE) -> str:
    with session_scope(url) as session:
        return callbacks.create_draft(session, conversation_id=conversation_id, municipality="twenterand",
                                      phone_e164=phone, phone_masked=MASKED).id


def _book_draft(url: str, draft_id: str, capacity: int = 2, start=MORNING, end=NOON):
    with session_scope(url) as session:
        return callbacks.book_draft(session, draft_id, slot_date=DAY, window_start=start, window_end=end,
                                    capacity=capacity)


def test_draft_becomes_a_booking(url):
    draft_id = _draft(url, phone="+31687654321")
    with engine(url).connect() as connection:
        raw = " ".join(map(str, connection.execute(text("SELECT * FROM callback_drafts")).one()))
    assert "87654321" not in raw
    callback = _book_draft(url, draft_id)
    assert callback.id == draft_id and callback.status == "pending"
    assert callbacks.normalize_reference(callback.reference) == callback.reference
    assert (callback.conversation_id, callback.municipality, callback.phone_masked) == ("a", "twenterand", MASKED)
    with session_scope(url) as session:
        assert callbacks.phone_number(session.get(Callback, draft_id)) == "+31687654321"
        assert session.get(CallbackDraft, draft_id) is None
    assert places_left(url) == 1
    with pytest.raises(callbacks.DraftNotFound):
        _book_draft(url, draft_id, start=AFTERNOON, end=EVENING)
    with pytest.raises(callbacks.DraftNotFound):
        _book_draft(url, None)
    assert places_left(url, start=AFTERNOON) == 2


def test_a_full_window_keeps_the_draft_for_another_window(url):
    book(url, "other", capacity=1)
    draft_id = _draft(url)
    assert _book_draft(url, draft_id, capacity=1) is None
    callback = _book_draft(url, draft_id, capacity=1, start=AFTERNOON, end=EVENING)
    assert callback is not None and callback.window_start == AFTERNOON


def test_discard_draft(url):
    draft_id = _draft(url)
    with session_scope(url) as session:
        assert callbacks.discard_draft(session, draft_id) is True
        assert callbacks.discard_draft(session, draft_id) is False
        assert callbacks.discard_draft(session, None) is False
    with pytest.raises(callbacks.DraftNotFound):
        _book_draft(url, draft_id)
    assert places_left(url) == 2


def test_double_submission_of_a_draft_books_once(url):
    draft_id = _draft(url)
    barrier = threading.Barrier(2)
    outcomes = []

    def submit() -> None:
        barrier.wait(timeout=30)
        try:
            outcomes.append(_book_draft(url, draft_id))
        except Exception as error:  # noqa: BLE001 - the assertions below say which errors are fine
            outcomes.append(error)

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    booked = [o for o in outcomes if isinstance(o, Callback)]
    assert len(outcomes) == 2 and len(booked) == 1
    assert all(isinstance(o, callbacks.DraftNotFound) for o in outcomes if o not in booked)
    assert places_left(url) == 1


def test_purge_deletes_drafts_left_behind(url):
    draft_id = _draft(url)
    with session_scope(url) as session:
        created = session.get(CallbackDraft, draft_id).created_at
        assert callbacks.purge_phone_numbers(session, 14, now=created + callbacks.DRAFT_MAX_AGE) == 0
        assert callbacks.purge_phone_numbers(session, 14, now=created + timedelta(days=1, seconds=1)) == 1
    with session_scope(url) as session:
        assert session.get(CallbackDraft, draft_id) is None


# --- phone numbers ------------------------------------------------------------------------------


def test_phone_is_stored_encrypted(url):
    callback = book(url, "a", phone="+31687654321")
    with engine(url).connect() as connection:
        row = connection.execute(text("SELECT * FROM callbacks WHERE id = :id"), {"id": callback.id}).one()
    raw = " ".join(str(value) for value in row)
    assert "87654321" not in raw and "687654321" not in raw
    assert row.phone_masked == MASKED
    assert crypto.decrypt_phone(row.phone_encrypted) == "+31687654321"
    assert callbacks.phone_number(callback) == "+31687654321"


def test_missing_or_wrong_key(url, monkeypatch, fernet_key):
    token = crypto.encrypt_phone(PHONE)
    monkeypatch.delenv(crypto.KEY_VARIABLE)
    with pytest.raises(crypto.FernetKeyError, match=crypto.KEY_VARIABLE):
        crypto.encrypt_phone(PHONE)
    with pytest.raises(crypto.FernetKeyError, match=crypto.KEY_VARIABLE):
        book(url, "a")
    assert places_left(url) == 2  # the failed booking took no place
    monkeypatch.setenv(crypto.KEY_VARIABLE, "not-a-key")
    with pytest.raises(crypto.FernetKeyError, match=crypto.KEY_VARIABLE):
        crypto.decrypt_phone(token)
    monkeypatch.setenv(crypto.KEY_VARIABLE, Fernet.generate_key().decode())
    with pytest.raises(crypto.FernetKeyError, match="another key") as error:
        crypto.decrypt_phone(token)
    assert "612345678" not in str(error.value)
    monkeypatch.setenv(crypto.KEY_VARIABLE, fernet_key)
    assert crypto.decrypt_phone(token) == PHONE


def test_ensure_local_key(tmp_path):
    path = tmp_path / "var" / "fernet.key"
    key = crypto.ensure_local_key(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    Fernet(key.encode())  # a usable key
    assert crypto.ensure_local_key(path) == key
    assert [p.name for p in path.parent.iterdir()] == ["fernet.key"]
    path.write_text("damaged\n")
    with pytest.raises(crypto.FernetKeyError):
        crypto.ensure_local_key(path)


def test_purge_after_retention_and_not_before(url):
    closed, still_pending = book(url, "a"), book(url, "b")
    with session_scope(url) as session:
        closed_at = callbacks.set_status(session, closed.id, "no_answer").closed_at
    with session_scope(url) as session:
        assert callbacks.purge_phone_numbers(session, 14, now=closed_at + timedelta(days=14)) == 0
        assert callbacks.phone_number(session.get(Callback, closed.id)) == PHONE
    purge_moment = closed_at + timedelta(days=14, seconds=1)
    with session_scope(url) as session:
        assert callbacks.purge_phone_numbers(session, 14, now=purge_moment) == 1
    with session_scope(url) as session:
        erased, kept = session.get(Callback, closed.id), session.get(Callback, still_pending.id)
        assert erased.phone_encrypted is None and erased.phone_erased_at == purge_moment
        assert erased.phone_masked == MASKED and callbacks.phone_number(erased) is None
        assert callbacks.phone_number(kept) == PHONE  # its day is not long past
        assert callbacks.purge_phone_numbers(session, 14, now=purge_moment) == 0


def test_purge_forgotten_pending_callbacks(url):
    pending = book(url, "a")
    # Never closed by an expert: its number goes once its day is more than the retention period past.
    day_after_slot = datetime(DAY.year, DAY.month, DAY.day, tzinfo=timezone.utc) + timedelta(days=1)
    with session_scope(url) as session:
        assert callbacks.purge_phone_numbers(session, 14, now=day_after_slot + timedelta(days=14)) == 0
        assert callbacks.purge_phone_numbers(session, 14, now=day_after_slot + timedelta(days=15)) == 1
        assert session.get(Callback, pending.id, populate_existing=True).phone_encrypted is None


@pytest.mark.parametrize("value, expected", [(None, 14), ("", 14), ("30", 30), (" 0 ", 0)])
def test_retention_days(monkeypatch, value, expected):
    if value is None:
        monkeypatch.delenv(callbacks.RETENTION_VARIABLE, raising=False)
    else:
        monkeypatch.setenv(callbacks.RETENTION_VARIABLE, value)
    assert callbacks.retention_days() == expected


@pytest.mark.parametrize("value", ["twee weken", "-1", "1.5"])
def test_retention_days_rejects_nonsense(monkeypatch, value):
    monkeypatch.setenv(callbacks.RETENTION_VARIABLE, value)
    with pytest.raises(ValueError, match=callbacks.RETENTION_VARIABLE):
        callbacks.retention_days()


# --- records ------------------------------------------------------------------------------------


def _leave_traces(url: str, conversation_id: str) -> None:
    book(url, conversation_id)
    with session_scope(url) as session:
        callbacks.create_draft(session, conversation_id=conversation_id, municipality="twenterand",
                               phone_e164=PHONE, phone_masked=MASKED)
        handoffs.request(session, conversation_id=conversation_id, municipality="twenterand",
                                topic="schulden", reason="vraag_mens", screening_level="advies",
                                screening_domains=["schulden", "wonen"], channel="web")
        records.record_screening(session, conversation_id=conversation_id, municipality="twenterand",
                                 level="advies", domains=["schulden"])
        records.record_schemes(session, conversation_id=conversation_id, municipality="twenterand",
                               schemes=["individuele_inkomenstoeslag"])
        records.record_feedback(session, conversation_id=conversation_id, context="einde", helpful=True)
        records.record_event(session, "handoff_requested", "twenterand")


def _rows_of(url: str, conversation_id: str) -> dict[str, int]:
    with session_scope(url) as session:
        return {
            model.__tablename__: session.execute(
                select(func.count()).select_from(model).where(model.conversation_id == conversation_id)
            ).scalar_one()
            for model in (HandoffRequest, Callback, CallbackDraft, ScreeningOutcome, SchemesOutcome, Feedback)
        }


def test_erase_conversation_removes_only_that_conversation(url):
    _leave_traces(url, "a")
    _leave_traces(url, "b")
    assert places_left(url) == 0
    with session_scope(url) as session:
        assert records.erase_conversation(session, "a") == 6
    assert set(_rows_of(url, "a").values()) == {0}
    assert set(_rows_of(url, "b").values()) == {1}
    assert places_left(url) == 1  # a's pending callback gave its place back, b's did not
    with session_scope(url) as session:
        assert session.execute(select(func.count()).select_from(Event)).scalar_one() == 2
        assert records.erase_conversation(session, "a") == 0
        assert records.latest_screening(session, "a") is None
    assert places_left(url) == 1


def test_erase_does_not_free_places_of_closed_callbacks(url):
    callback = book(url, "a", capacity=1)
    with session_scope(url) as session:
        callbacks.set_status(session, callback.id, "done")
        assert records.erase_conversation(session, "a") == 1
    assert places_left(url, capacity=1) == 0


def test_feedback_comment_is_redacted(url):
    with session_scope(url) as session:
        records.record_feedback(session, conversation_id="a", context="callback", helpful=False,
                                comment="Bel me op 06-12345678 of mail jan@example.nl, dank!")
        records.record_feedback(session, conversation_id="a", context="einde", helpful=True, comment="   ")
    with engine(url).connect() as connection:
        comments = connection.execute(text("SELECT comment FROM feedback ORDER BY id")).scalars().all()
    assert comments == ["Bel me op [telefoonnummer] of mail [e-mailadres], dank!", None]


def test_latest_screening(url):
    with session_scope(url) as session:
        records.record_screening(session, conversation_id="a", municipality="twenterand",
                                 level="informatie", domains=[])
        records.record_screening(session, conversation_id="a", municipality="twenterand",
                                 level="urgent", domains=["veiligheid", "schulden"])
        records.record_screening(session, conversation_id="b", municipality="twenterand",
                                 level="advies", domains=["wonen"])
        with pytest.raises(ValueError, match="screening level"):
            records.record_screening(session, conversation_id="a", municipality="twenterand",
                                     level="hoog", domains=[])
    with session_scope(url) as session:
        latest = records.latest_screening(session, "a")
        assert (latest.level, latest.domains) == ("urgent", ["veiligheid", "schulden"])
        assert records.latest_screening(session, "nobody") is None


def test_handoff_request(url):
    with session_scope(url) as session:
        request = handoffs.request(session, conversation_id="a", municipality="twenterand",
                                          topic="schulden", reason="vraag_mens", screening_level=None,
                                          screening_domains=None)
    with session_scope(url) as session:
        stored = session.get(HandoffRequest, request.id)
        assert (stored.status, stored.screening_domains, stored.channel) == ("waiting", [], None)
        assert len(stored.id) == 32 and stored.created_at.utcoffset() == timedelta(0)


def test_available_experts(url):
    with session_scope(url) as session:
        assert records.available_experts(session, "twenterand") == []
        records.set_expert_availability(session, "twenterand", "schuld", "schuldhulpverlener", True)
        records.set_expert_availability(session, "twenterand", "jurist", "sociaal raadsman", True)
        records.set_expert_availability(session, "twenterand", "jurist", "sociaal raadsman", False)
        records.set_expert_availability(session, "hengelo", "schuld", "schuldhulpverlener", True)
    with session_scope(url) as session:
        experts = records.available_experts(session, "twenterand")
        assert [(e.role, e.title) for e in experts] == [("schuld", "schuldhulpverlener")]


@pytest.mark.parametrize("kind", ["", "Faq answered", "bel 0612345678", "x"])
def test_event_kinds_are_identifiers(url, kind):
    with session_scope(url) as session:
        with pytest.raises(ValueError, match="event kind"):
            records.record_event(session, kind)
        records.record_event(session, "faq_answered")
    with session_scope(url) as session:
        assert session.execute(select(Event.kind)).scalars().all() == ["faq_answered"]
