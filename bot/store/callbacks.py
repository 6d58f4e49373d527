"""Callback booking: slots with a capacity, short references, encrypted phone numbers.

Double-booking is prevented by the database, not by Python: a slot's `booked` counter only moves
through a conditional UPDATE (`booked < capacity`), which PostgreSQL and SQLite both apply to one
transaction at a time.
"""

from __future__ import annotations

import re
import secrets
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.domain import settings
from bot.domain.names import CALLBACK_CLOSED, CallbackStatus, utcnow
from bot.store.crypto import decrypt_phone, encrypt_phone
from bot.store.models import Callback, CallbackDraft, CallbackSlot

# No 0/O, 1/I/L: a parent reads the reference aloud or types it over from a message.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
RETENTION_VARIABLE = "CALLBACK_RETENTION_DAYS"
DEFAULT_RETENTION_DAYS = 14
CLOSED_STATUSES = CALLBACK_CLOSED
_REFERENCE_ATTEMPTS = 20
# A draft lives for the minutes between the form's two questions; a day is plenty.
DRAFT_MAX_AGE = timedelta(days=1)
# In the two-digit part letters can only be a misread digit.
_DIGIT_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_reference() -> str:
    """A fresh reference such as 'K7Q-42' (not yet checked against the database)."""
    letters = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(3))
    return f"{letters}-{secrets.randbelow(100):02d}"


def normalize_reference(text: str) -> str | None:
    """'k7q-42', 'K7Q 42', 'k7q42' -> 'K7Q-42'; None when it cannot be a reference."""
    compact = re.sub(r"[\s\-_.]", "", text or "").upper()
    if len(compact) != 5:
        return None
    letters, digits = compact[:3], compact[3:].translate(_DIGIT_LOOKALIKES)
    if not all(ch in REFERENCE_ALPHABET for ch in letters) or not digits.isdigit():
        return None
    return f"{letters}-{digits}"


def retention_days() -> int:
    """How long a closed callback keeps its phone number: env CALLBACK_RETENTION_DAYS, default 14."""
    return settings.days(RETENTION_VARIABLE, DEFAULT_RETENTION_DAYS, 0)


def _slot_filter(municipality: str, slot_date: date, window_start: time):
    return and_(
        CallbackSlot.municipality == municipality,
        CallbackSlot.slot_date == slot_date,
        CallbackSlot.window_start == window_start,
    )


def free_capacity(
    session: Session, municipality: str, slots: list[tuple[date, time]], capacity: int
) -> dict[tuple[date, time], int]:
    """{(date, window start): places left} for the given windows; unbooked windows have `capacity`."""
    wanted = set(slots)
    booked: dict[tuple[date, time], int] = {}
    if wanted:
        rows = session.execute(
            select(CallbackSlot.slot_date, CallbackSlot.window_start, CallbackSlot.booked).where(
                CallbackSlot.municipality == municipality,
                CallbackSlot.slot_date.in_(sorted({slot_date for slot_date, _ in wanted})),
            )
        )
        booked = {(row.slot_date, row.window_start): row.booked for row in rows}
    return {slot: max(capacity - booked.get(slot, 0), 0) for slot in slots}


def _ensure_slot(session: Session, municipality: str, slot_date: date, window_start: time,
                 capacity: int) -> None:
    """Insert the slot row unless it exists; two bookings may try this at the same moment."""
    values = dict(municipality=municipality, slot_date=slot_date, window_start=window_start,
                  capacity=capacity, booked=0)
    dialect = session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        session.execute(insert(CallbackSlot).values(**values).on_conflict_do_nothing())
        return
    try:  # other databases: let the unique constraint decide, in a savepoint
        with session.begin_nested():
            session.execute(CallbackSlot.__table__.insert().values(**values))
    except IntegrityError:
        pass


def release_place(session: Session, callback: Callback) -> None:
    """Give a pending callback's place back (never below zero)."""
    session.execute(
        update(CallbackSlot)
        .where(_slot_filter(callback.municipality, callback.slot_date, callback.window_start),
               CallbackSlot.booked > 0)
        .values(booked=CallbackSlot.booked - 1)
        .execution_options(synchronize_session=False)
    )


def _unused_reference(session: Session) -> str:
    for _ in range(_REFERENCE_ATTEMPTS):
        reference = new_reference()
        if session.execute(select(Callback.id).where(Callback.reference == reference)).first() is None:
            return reference
    # ~3 million references: this only happens when nearly all are in use.
    raise RuntimeError("no free callback reference found; purge or archive old callbacks")


def _take_place(session: Session, municipality: str, slot_date: date, window_start: time,
                capacity: int) -> bool:
    """Take one place in a window; False when it is full. Safe against concurrent bookings."""
    if capacity <= 0:
        return False
    _ensure_slot(session, municipality, slot_date, window_start, capacity)
    taken = session.execute(
        update(CallbackSlot)
        .where(_slot_filter(municipality, slot_date, window_start), CallbackSlot.booked < capacity)
        .values(booked=CallbackSlot.booked + 1, capacity=capacity)  # follow the current configuration
        .execution_options(synchronize_session=False)
    )
    return taken.rowcount == 1


def _check_window(window_start: time, window_end: time) -> None:
    if window_end <= window_start:
        raise ValueError("a callback window must end after it starts")


def _add_callback(session: Session, **values) -> Callback:
    # Unique in the database as well; on SQLite we hold the write lock here, on PostgreSQL a clash
    # between two bookings at the same moment is one in millions and makes this booking fail cleanly.
    callback = Callback(reference=_unused_reference(session), status=CallbackStatus.PENDING, **values)
    session.add(callback)
    session.flush()
    return callback


def book(
    session: Session, *, conversation_id: str, municipality: str, slot_date: date, window_start: time,
    window_end: time, capacity: int, phone_e164: str, phone_masked: str,
) -> Callback | None:
    """Book a place in a window; None when the window is full. The phone number is stored encrypted."""
    _check_window(window_start, window_end)
    token = encrypt_phone(phone_e164)  # before any write: a missing key must not use up a place
    if not _take_place(session, municipality, slot_date, window_start, capacity):
        return None
    return _add_callback(
        session, conversation_id=conversation_id, municipality=municipality, slot_date=slot_date,
        window_start=window_start, window_end=window_end, phone_encrypted=token, phone_masked=phone_masked,
    )


class DraftNotFound(LookupError):
    """The draft was booked, discarded or purged already."""


def create_draft(session: Session, *, conversation_id: str, municipality: str, phone_e164: str,
                 phone_masked: str) -> CallbackDraft:
    """Keep a validated phone number, encrypted, until the parent has chosen a moment."""
    draft = CallbackDraft(conversation_id=conversation_id, municipality=municipality,
                          phone_encrypted=encrypt_phone(phone_e164), phone_masked=phone_masked)
    session.add(draft)
    session.flush()
    return draft


def book_draft(session: Session, draft_id: str, *, slot_date: date, window_start: time, window_end: time,
               capacity: int, municipality: str | None = None) -> Callback | None:
    """Book the draft into a window; None when it is full (the draft stays for another window).

    The callback gets the draft's id. DraftNotFound when there is no such draft (anymore).
    `municipality`: the team that calls back, when it became known (or changed) after the number.
    """
    _check_window(window_start, window_end)
    # Locked: a double submission waits here and then finds the draft gone.
    draft = session.execute(
        select(CallbackDraft).where(CallbackDraft.id == (draft_id or "")).with_for_update()
    ).scalar_one_or_none()
    if draft is None:
        raise DraftNotFound("no callback draft with this id")
    if municipality:
        draft.municipality = municipality
    if not _take_place(session, draft.municipality, slot_date, window_start, capacity):
        return None
    callback = _add_callback(
        session, id=draft.id, conversation_id=draft.conversation_id, municipality=draft.municipality,
        slot_date=slot_date, window_start=window_start, window_end=window_end,
        phone_encrypted=draft.phone_encrypted, phone_masked=draft.phone_masked,
    )
    session.delete(draft)
    session.flush()
    return callback


def booked_from(session: Session, draft_id: str | None, conversation_id: str) -> Callback | None:
    """The callback this conversation's draft became (it keeps the draft's id), if it was booked."""
    return session.execute(
        select(Callback).where(Callback.id == (draft_id or ""), Callback.conversation_id == conversation_id)
    ).scalar_one_or_none()


def discard_draft(session: Session, draft_id: str | None) -> bool:
    """Forget a draft (the form ended without a booking); False when there was none."""
    return bool(session.execute(
        delete(CallbackDraft).where(CallbackDraft.id == (draft_id or ""))
        .execution_options(synchronize_session="evaluate")
    ).rowcount)


def find(session: Session, reference: str, conversation_id: str | None = None) -> Callback | None:
    """The callback with this reference (any spelling), optionally only within one conversation."""
    normalized = normalize_reference(reference)
    if normalized is None:
        return None
    query = select(Callback).where(Callback.reference == normalized)
    if conversation_id is not None:
        query = query.where(Callback.conversation_id == conversation_id)
    return session.execute(query).scalar_one_or_none()


def _close(session: Session, callback: Callback, status: str) -> Callback | None:
    """Move a pending callback to `status`; a lost race (no longer pending) changes nothing.

    Returns the callback as it is now in the database, None when it was deleted meanwhile.
    """
    changed = session.execute(
        update(Callback)
        .where(Callback.id == callback.id, Callback.status == CallbackStatus.PENDING)
        .values(status=status, closed_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed and status == CallbackStatus.CANCELLED:
        release_place(session, callback)
    return session.get(Callback, callback.id, populate_existing=True)


def cancel(session: Session, reference: str, conversation_id: str | None = None) -> Callback | None:
    """Cancel a pending callback and free its place.

    Returns the cancelled callback; None when there is no open (pending) callback with this
    reference (in this conversation): unknown, already cancelled, or already called.
    """
    callback = find(session, reference, conversation_id)
    if callback is None or callback.status != CallbackStatus.PENDING:
        return None
    closed = _close(session, callback, CallbackStatus.CANCELLED)
    return closed if closed is not None and closed.status == CallbackStatus.CANCELLED else None


def set_status(session: Session, callback_id: str, status: str) -> Callback | None:
    """The expert's outcome: done, no_answer or cancelled. Sets closed_at; cancelling frees the place."""
    if status not in CLOSED_STATUSES:
        raise ValueError(f"status must be one of {', '.join(CLOSED_STATUSES)}, not {status!r}")
    callback = session.get(Callback, callback_id)
    if callback is None:
        return None
    if callback.status == CallbackStatus.PENDING:
        return _close(session, callback, status)
    if {callback.status, status} == {CallbackStatus.DONE, CallbackStatus.NO_ANSWER}:
        # The expert corrects an outcome; the place stays used either way.
        callback.status, callback.closed_at = status, utcnow()
        session.flush()
    return callback


def phone_number(callback: Callback) -> str | None:
    """The number to call, decrypted; None once it has been erased."""
    return decrypt_phone(callback.phone_encrypted) if callback.phone_encrypted else None


def purge_phone_numbers(session: Session, retention_days: int = DEFAULT_RETENTION_DAYS,
                        now: datetime | None = None) -> int:
    """Erase the phone numbers of callbacks closed more than `retention_days` ago; returns how many.

    A callback still pending long after its day was forgotten by everyone: its number goes too.
    Drafts older than DRAFT_MAX_AGE (forms left halfway) are deleted and counted as well.
    """
    now = now or utcnow()
    cutoff = now - timedelta(days=retention_days)
    # The pending rule works on dates: a window on `slot_date` ends before the next day starts.
    stale_day = (cutoff - timedelta(days=1)).date()
    erased = session.execute(
        update(Callback)
        .where(
            Callback.phone_encrypted.isnot(None),
            or_(
                and_(Callback.status.in_(CLOSED_STATUSES), Callback.closed_at < cutoff),
                and_(Callback.status == CallbackStatus.PENDING, Callback.slot_date < stale_day),
            ),
        )
        .values(phone_encrypted=None, phone_erased_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    abandoned = session.execute(
        delete(CallbackDraft).where(CallbackDraft.created_at < now - DRAFT_MAX_AGE)
        .execution_options(synchronize_session=False)
    ).rowcount
    return erased + abandoned


def booked_places(session: Session, municipality: str, slot_date: date, window_start: time) -> int:
    """How many places of one window are taken (for the console and the tests)."""
    value = session.execute(
        select(func.coalesce(func.max(CallbackSlot.booked), 0)).where(
            _slot_filter(municipality, slot_date, window_start))
    ).scalar_one()
    return int(value)
