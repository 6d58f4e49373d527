"""The console's view of callbacks: the list per day, the expert's outcome, and the audited phone number.

Booking, cancelling and erasing numbers live in bot/store/callbacks.py; this module reads and closes
what was booked there. An expert sees a callback only when its municipality is one the account may see
(`municipalities`: the keys, or None for a coordinator of all). Every look at a clear phone number is
written down (PhoneView) in the same transaction as the decryption.
"""

from __future__ import annotations

from collections.abc import Collection, Container
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from bot.domain.names import CallbackStatus, utcnow
from bot.domain.opening_hours import dutch_holidays
from bot.store import callbacks
from bot.store.models import Callback, PhoneView

DEFAULT_WORKING_DAYS = 5
# Pending callbacks of earlier days stay in the list until someone closes them: nobody forgets a call.
OPEN_STATUS = CallbackStatus.PENDING


class CallbackNotFound(LookupError):
    """No such callback, or one of a municipality the account may not see (the console says 404)."""


@dataclass(frozen=True)
class CallbackItem:
    """One row of the console's list; never the clear phone number."""

    id: str
    reference: str
    municipality: str
    slot_date: date
    window_start: time
    window_end: time
    phone_masked: str
    status: str
    closed_at: datetime | None
    phone_erased: bool

    @property
    def is_open(self) -> bool:
        return self.status == OPEN_STATUS


def last_listed_day(today: date, working_days: int = DEFAULT_WORKING_DAYS,
                    holiday_calendar: Container[date] | None = None) -> date:
    """The `working_days`-th working day after `today` (Monday to Friday, no Dutch public holiday).

    Weekend days in between are listed as well: a municipality may call on a Saturday.
    """
    if working_days < 0:
        raise ValueError("working_days cannot be negative")
    calendar = dutch_holidays() if holiday_calendar is None else holiday_calendar
    day, found = today, 0
    while found < working_days:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in calendar:
            found += 1
    return day


def _visible(query, municipalities: Collection[str] | None):
    if municipalities is None:
        return query
    return query.where(Callback.municipality.in_(sorted(set(municipalities))))


def _item(callback: Callback) -> CallbackItem:
    return CallbackItem(
        id=callback.id, reference=callback.reference, municipality=callback.municipality,
        slot_date=callback.slot_date, window_start=callback.window_start, window_end=callback.window_end,
        phone_masked=callback.phone_masked, status=callback.status, closed_at=callback.closed_at,
        phone_erased=callback.phone_encrypted is None,
    )


def list_callbacks(session: Session, municipalities: Collection[str] | None, today: date, *,
                   working_days: int = DEFAULT_WORKING_DAYS, include_overdue: bool = True,
                   holiday_calendar: Container[date] | None = None) -> list[CallbackItem]:
    """Callbacks from `today` up to the `working_days`-th working day after it, by day and window.

    Every status is listed (the expert sees what was done); with `include_overdue`, callbacks of earlier
    days that are still pending come first. `today` is the local (Dutch) date of the caller.
    """
    last = last_listed_day(today, working_days, holiday_calendar)
    in_range = and_(Callback.slot_date >= today, Callback.slot_date <= last)
    if include_overdue:
        in_range = or_(in_range, and_(Callback.slot_date < today, Callback.status == OPEN_STATUS))
    query = _visible(select(Callback).where(in_range), municipalities).order_by(
        Callback.slot_date, Callback.window_start, Callback.municipality, Callback.created_at,
        Callback.reference,
    )
    return [_item(callback) for callback in session.execute(query).scalars()]


def get_visible(session: Session, callback_id: str, municipalities: Collection[str] | None) -> Callback:
    """The callback, when the account may see it; CallbackNotFound otherwise (unknown or not yours)."""
    query = _visible(select(Callback).where(Callback.id == (callback_id or "")), municipalities)
    callback = session.execute(query).scalar_one_or_none()
    if callback is None:
        raise CallbackNotFound("no callback with this id for this account")
    return callback


def mark(session: Session, callback_id: str, status: str,
         municipalities: Collection[str] | None = None) -> CallbackItem:
    """The expert's outcome: done, no_answer or cancelled (callbacks.CLOSED_STATUSES).

    Closing sets closed_at, from which the phone number is erased after CALLBACK_RETENTION_DAYS
    (callbacks.purge_phone_numbers). A cancelled callback stays cancelled; done and no_answer may be
    swapped. Returns the callback as it is now: compare its status to see whether anything changed.
    """
    callback = get_visible(session, callback_id, municipalities)
    changed = callbacks.set_status(session, callback.id, status)
    if changed is None:  # deleted meanwhile (the parent erased the conversation)
        raise CallbackNotFound("the callback was deleted")
    return _item(changed)


def reveal_phone(session: Session, callback_id: str, username: str,
                 municipalities: Collection[str] | None = None) -> str | None:
    """The clear number (E.164) for the expert who is going to call; None once it has been erased.

    A PhoneView row (who, when, which callback) is added in the same transaction: the number is never
    shown without a trace. Nothing is recorded when there is no number any more.
    """
    if not username:
        raise ValueError("a phone number is only shown to a named account")
    callback = get_visible(session, callback_id, municipalities)
    number = callbacks.phone_number(callback)
    if number is None:
        return None
    session.add(PhoneView(callback_id=callback.id, account=username, viewed_at=utcnow()))
    session.flush()
    return number


def phone_views(session: Session, callback_id: str) -> list[PhoneView]:
    """Who looked at a callback's number, oldest first (the audit trail)."""
    return list(session.execute(
        select(PhoneView).where(PhoneView.callback_id == callback_id).order_by(PhoneView.viewed_at,
                                                                                PhoneView.id)
    ).scalars())
