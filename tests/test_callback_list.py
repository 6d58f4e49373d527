"""The console's callback list in the store, on SQLite and on a real PostgreSQL: days, scope, outcome,
and the audited phone number."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select

from bot.store import callback_list, callbacks, crypto
from bot.store.db import session_scope
from bot.store.models import Callback, PhoneView
from tests.support.store import (
    AFTERNOON,
    DATABASES,
    EVENING,
    MASKED,
    MORNING,
    NOON,
    PHONE,
    database_for,
)

MONDAY = date(2030, 3, 4)


@pytest.fixture(autouse=True)
def fernet_key(monkeypatch):
    monkeypatch.setenv(crypto.KEY_VARIABLE, Fernet.generate_key().decode())


@pytest.fixture(params=DATABASES)
def url(request, tmp_path):
    yield from database_for(request, tmp_path)


def book(url: str, day: date, start: time = MORNING, end: time = NOON, *, municipality: str = "twenterand",
         conversation_id: str = "conv", phone: str = PHONE) -> Callback:
    with session_scope(url) as session:
        booked = callbacks.book(session, conversation_id=conversation_id, municipality=municipality,
                                slot_date=day, window_start=start, window_end=end, capacity=10,
                                phone_e164=phone, phone_masked=MASKED)
    assert booked is not None
    return booked


def views(url: str) -> list[tuple[str, str]]:
    with session_scope(url) as session:
        rows = session.execute(select(PhoneView).order_by(PhoneView.id)).scalars()
        return [(row.callback_id, row.account) for row in rows]


def listed_items(url: str, municipalities, today: date, **options) -> list[callback_list.CallbackItem]:
    with session_scope(url) as session:
        return callback_list.list_callbacks(session, municipalities, today, **options)


# --- which days ---------------------------------------------------------------------------------


@pytest.mark.parametrize("today, working_days, expected", [
    (MONDAY, 5, date(2030, 3, 11)),            # Monday -> next Monday
    (date(2030, 3, 8), 1, date(2030, 3, 11)),  # Friday -> over the weekend
    (date(2030, 3, 9), 1, date(2030, 3, 11)),  # Saturday -> Monday
    (MONDAY, 0, MONDAY),                       # today only
    (date(2030, 4, 18), 1, date(2030, 4, 23)),  # Maundy Thursday: Good Friday and Easter Monday skipped
    (date(2030, 12, 24), 2, date(2030, 12, 30)),  # Christmas days are no working days
])
def test_last_listed_day(today, working_days, expected):
    assert callback_list.last_listed_day(today, working_days) == expected


def test_last_listed_day_with_own_calendar_and_nonsense():
    assert callback_list.last_listed_day(MONDAY, 1, holiday_calendar={date(2030, 3, 5)}) == date(2030, 3, 6)
    assert callback_list.last_listed_day(MONDAY, 1, holiday_calendar=set()) == date(2030, 3, 5)
    with pytest.raises(ValueError, match="negative"):
        callback_list.last_listed_day(MONDAY, -1)


# --- the list -----------------------------------------------------------------------------------


def test_list_in_day_and_window_order_within_the_range(url):
    last = date(2030, 3, 11)
    late = book(url, MONDAY, AFTERNOON, EVENING)
    early = book(url, MONDAY, MORNING, NOON)
    next_day = book(url, date(2030, 3, 5))
    saturday = book(url, date(2030, 3, 9))  # inside the range: listed although no working day
    last_day = book(url, last, AFTERNOON, EVENING)
    book(url, last + timedelta(days=1))  # one day too far
    listed = listed_items(url, ["twenterand"], MONDAY)
    assert [item.id for item in listed] == [early.id, late.id, next_day.id, saturday.id, last_day.id]
    first = listed[0]
    assert (first.reference, first.phone_masked, first.status, first.phone_erased) == (
        early.reference, MASKED, "pending", False)
    assert first.is_open and first.closed_at is None
    assert PHONE not in repr(listed) and "+316" not in repr(listed)
    # Fewer working days, fewer rows.
    assert [item.id for item in listed_items(url, ["twenterand"], MONDAY, working_days=0)] == [early.id, late.id]


def test_list_keeps_open_callbacks_of_earlier_days_and_drops_closed_ones(url):
    overdue = book(url, MONDAY - timedelta(days=3))
    called = book(url, MONDAY - timedelta(days=1))
    cancelled_today = book(url, MONDAY)
    with session_scope(url) as session:
        callbacks.set_status(session, called.id, "done")
        callbacks.set_status(session, cancelled_today.id, "cancelled")
    listed = listed_items(url, None, MONDAY)
    assert [(item.id, item.status) for item in listed] == [
        (overdue.id, "pending"), (cancelled_today.id, "cancelled")]
    assert [item.id for item in listed_items(url, None, MONDAY, include_overdue=False)] == [cancelled_today.id]


def test_list_shows_only_the_municipalities_of_the_account(url):
    ours = book(url, MONDAY, municipality="twenterand")
    theirs = book(url, MONDAY, AFTERNOON, EVENING, municipality="zwolle")
    assert [item.id for item in listed_items(url, ["twenterand"], MONDAY)] == [ours.id]
    assert [item.id for item in listed_items(url, ["zwolle"], MONDAY)] == [theirs.id]
    assert [item.id for item in listed_items(url, None, MONDAY)] == [ours.id, theirs.id]  # a coordinator of all
    assert listed_items(url, [], MONDAY) == []
    assert listed_items(url, ["dordrecht"], MONDAY) == []


# --- the outcome --------------------------------------------------------------------------------


@pytest.mark.parametrize("status", callbacks.CLOSED_STATUSES)
def test_mark_persists_with_closed_at(url, status):
    callback = book(url, MONDAY)
    with session_scope(url) as session:
        item = callback_list.mark(session, callback.id, status, ["twenterand"])
        assert item.status == status and item.closed_at is not None and not item.is_open
    with session_scope(url) as session:
        stored = session.get(Callback, callback.id)
        assert stored.status == status and stored.closed_at == item.closed_at
        # A cancelled callback gives its place back; an answered or unanswered one keeps it.
        expected_places = 0 if status == "cancelled" else 1
        assert callbacks.booked_places(session, "twenterand", MONDAY, MORNING) == expected_places


def test_mark_corrections_and_what_stays_final(url):
    callback, cancelled = book(url, MONDAY), book(url, MONDAY)
    with session_scope(url) as session:
        callback_list.mark(session, callback.id, "no_answer")
        assert callback_list.mark(session, callback.id, "done").status == "done"
        callback_list.mark(session, cancelled.id, "cancelled")
        assert callback_list.mark(session, cancelled.id, "done").status == "cancelled"
        with pytest.raises(ValueError, match="status must be"):
            callback_list.mark(session, callback.id, "pending")
        with pytest.raises(ValueError, match="status must be"):
            callback_list.mark(session, callback.id, "gedaan")  # Dutch labels are the console's business


def test_mark_of_another_municipality_or_unknown_id_changes_nothing(url):
    theirs = book(url, MONDAY, municipality="zwolle")
    with session_scope(url) as session:
        with pytest.raises(callback_list.CallbackNotFound):
            callback_list.mark(session, theirs.id, "done", ["twenterand"])
        with pytest.raises(callback_list.CallbackNotFound):
            callback_list.mark(session, "no-such-id", "done", None)
        with pytest.raises(callback_list.CallbackNotFound):
            callback_list.mark(session, "", "done", None)
    with session_scope(url) as session:
        assert session.get(Callback, theirs.id).status == "pending"


def test_the_number_goes_the_retention_period_after_the_expert_closes(url):
    callback = book(url, MONDAY)
    with session_scope(url) as session:
        closed_at = callback_list.mark(session, callback.id, "done").closed_at
    with session_scope(url) as session:
        assert callbacks.purge_phone_numbers(session, 14, now=closed_at + timedelta(days=14)) == 0
        assert callback_list.reveal_phone(session, callback.id, "expert1") == PHONE
    with session_scope(url) as session:
        assert callbacks.purge_phone_numbers(session, 14, now=closed_at + timedelta(days=14, seconds=1)) == 1
    [item] = listed_items(url, None, MONDAY)
    assert item.phone_erased and item.phone_masked == MASKED


# --- the phone number ---------------------------------------------------------------------------


def test_reveal_gives_the_number_and_records_who_looked(url):
    callback = book(url, MONDAY, phone="+31201234567")
    other = book(url, MONDAY)
    with session_scope(url) as session:
        assert callback_list.reveal_phone(session, callback.id, "expert1", ["twenterand"]) == "+31201234567"
    with session_scope(url) as session:
        assert callback_list.reveal_phone(session, callback.id, "coordinator", None) == "+31201234567"
    assert views(url) == [(callback.id, "expert1"), (callback.id, "coordinator")]
    with session_scope(url) as session:
        trail = callback_list.phone_views(session, callback.id)
        assert [view.account for view in trail] == ["expert1", "coordinator"]
        assert all(view.viewed_at is not None for view in trail)
        assert callback_list.phone_views(session, other.id) == []


def test_reveal_and_its_record_share_one_transaction(url):
    callback = book(url, MONDAY)
    with pytest.raises(RuntimeError, match="response failed"):
        with session_scope(url) as session:
            assert callback_list.reveal_phone(session, callback.id, "expert1") == PHONE
            raise RuntimeError("response failed")
    assert views(url) == []


def test_reveal_of_an_erased_number_is_none_and_not_recorded(url):
    callback = book(url, MONDAY)
    with session_scope(url) as session:
        closed_at = callback_list.mark(session, callback.id, "no_answer").closed_at
        callbacks.purge_phone_numbers(session, 0, now=closed_at + timedelta(seconds=1))
    with session_scope(url) as session:
        assert callback_list.reveal_phone(session, callback.id, "expert1") is None
    assert views(url) == []


def test_reveal_refuses_other_municipalities_unknown_ids_and_nameless_accounts(url):
    theirs = book(url, MONDAY, municipality="zwolle")
    with session_scope(url) as session:
        with pytest.raises(callback_list.CallbackNotFound):
            callback_list.reveal_phone(session, theirs.id, "expert1", ["twenterand"])
        with pytest.raises(callback_list.CallbackNotFound):
            callback_list.reveal_phone(session, "no-such-id", "expert1")
        with pytest.raises(ValueError, match="named account"):
            callback_list.reveal_phone(session, theirs.id, "")
    assert views(url) == []
    with session_scope(url) as session:
        assert session.execute(select(func.count()).select_from(PhoneView)).scalar_one() == 0
