"""Several gateways on one PostgreSQL store: what two processes doing the same thing at the same moment
must not do twice. Each test holds one transaction open, lets a second one run into it from another
thread (as a second gateway would), then commits the first and checks what the second did."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet

from bot.domain.names import utcnow
from bot.gateway import housekeeping
from bot.store import handoffs, retention
from bot.store.db import exclusive, session_scope
from bot.store.models import Callback, Conversation, HandoffRequest
from tests.support.store import book, places_left, postgres_database

BLOCKED_SECONDS = 0.5  # long enough for the second transaction to reach the lock it waits for


@pytest.fixture
def url(postgres, monkeypatch):
    with postgres_database(postgres) as database:
        monkeypatch.setenv("DATABASE_URL", database)
        monkeypatch.setenv("SCHEIDINGSPUNT_FERNET_KEY", Fernet.generate_key().decode())  # callbacks
        yield database


def in_second_gateway(work: Callable[[], object]) -> tuple[threading.Thread, list]:
    """Run `work` in a thread of its own (its own connection); the result lands in the list."""
    result: list = []
    thread = threading.Thread(target=lambda: result.append(work()), daemon=True)
    thread.start()
    return thread, result


def queued(url: str) -> tuple[str, str]:
    with session_scope(url) as session:
        made = handoffs.request(session, conversation_id="conv-a", municipality="twenterand", topic=None,
                                reason=None, screening_level=None, screening_domains=None)
        handoffs.enter_queue(session, conversation_id="conv-a", channel="web", address="address-a",
                             handoff_id=made.id)
        return "conv-a", made.id


def test_two_gateways_expiring_one_handoff_at_the_same_moment_end_it_once(url):
    conversation_id, handoff_id = queued(url)

    def expire() -> bool:
        with session_scope(url) as session:
            return handoffs.expire(session, conversation_id, handoff_id=handoff_id) is not None

    with session_scope(url) as first:
        assert handoffs.expire(first, conversation_id, handoff_id=handoff_id) is not None
        second, ended = in_second_gateway(expire)
        second.join(BLOCKED_SECONDS)
        assert second.is_alive(), "the second gateway should wait for the first one's transaction"
    second.join(10)
    # Only the first tells the parent: the second found the conversation back with the bot.
    assert ended == [False]
    with session_scope(url) as session:
        assert session.get(HandoffRequest, handoff_id).status == "expired"
        assert session.get(Conversation, conversation_id).mode == "bot"


def test_a_timer_only_expires_the_handoff_it_was_started_for(url):
    conversation_id, _ = queued(url)
    with session_scope(url) as session:
        assert handoffs.expire(session, conversation_id, handoff_id="an-earlier-request") is None
        assert handoffs.waiting_handoffs(session)[0].conversation_id == conversation_id


def test_two_processes_erasing_one_conversation_give_its_place_back_once(url):
    book(url, "conv-a")
    book(url, "conv-b")  # the same window: two of its two places are taken
    assert places_left(url) == 0

    def erase() -> int:
        with session_scope(url) as session:
            return retention.erase_conversations(session, ["conv-a"])

    with session_scope(url) as first:
        assert retention.erase_conversations(first, ["conv-a"]) > 0
        second, _ = in_second_gateway(erase)
        second.join(BLOCKED_SECONDS)
    second.join(10)
    assert places_left(url) == 1  # conv-b keeps its place


def test_housekeeping_is_skipped_while_another_gateway_does_it(url):
    callback = book(url, "conv-a")
    with session_scope(url) as session:
        found = session.get(Callback, callback.id)
        found.status, found.closed_at = "done", utcnow() - timedelta(days=30)

    def phone_kept() -> bool:
        with session_scope(url) as session:
            return session.get(Callback, callback.id).phone_encrypted is not None

    with exclusive(housekeeping.LOCK_KEY, url) as mine:
        assert mine
        other, _ = in_second_gateway(housekeeping.run_once)
        other.join(10)
        assert phone_kept(), "the second gateway's pass should have been skipped"
    housekeeping.run_once()  # the lock is free again
    assert not phone_kept()


def test_only_one_process_holds_the_housekeeping_lock(url):
    with exclusive(housekeeping.LOCK_KEY, url) as first:
        thread, second = in_second_gateway(lambda: _try_lock(url))
        thread.join(10)
    assert (first, second) == (True, [False])
    assert _try_lock(url) is True  # released with the transaction


def _try_lock(url: str) -> bool:
    with exclusive(housekeeping.LOCK_KEY, url) as mine:
        return mine


def test_sqlite_serves_one_gateway_and_needs_no_lock(sqlite_store):
    with exclusive(housekeeping.LOCK_KEY) as first, exclusive(housekeeping.LOCK_KEY) as second:
        assert first and second
