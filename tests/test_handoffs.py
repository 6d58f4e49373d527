"""The console's hand-over store (bot/store/handoffs.py) on SQLite and PostgreSQL: queue, take, close."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest

from bot.store import handoffs
from bot.store.db import session_scope
from bot.store.models import Conversation, HandoffRequest, LiveMessage
from tests.support.store import DATABASES, database_for

T0 = datetime(2030, 3, 4, 10, 0, tzinfo=timezone.utc)


@pytest.fixture(params=DATABASES)
def url(request, tmp_path):
    yield from database_for(request, tmp_path)


def queued(url: str, name: str, *, municipality: str = "twenterand", minutes_ago: int = 0,
           mode: str = "human", channel: str = "telegram", **context) -> str:
    """A request the gateway put in the queue: its conversation is in HUMAN mode and points at it."""
    with session_scope(url) as session:
        request = handoffs.request(
            session, conversation_id=f"conv-{name}", municipality=municipality,
            topic=context.get("topic", "kinderalimentatie"), reason=context.get("reason", "op verzoek"),
            screening_level=context.get("level", "deskundige"), screening_domains=context.get("domains", ["geld"]),
        )
        request.created_at = T0 - timedelta(minutes=minutes_ago)
        session.add(Conversation(id=f"conv-{name}", channel=channel, address=f"address-{name}", mode=mode,
                                 handoff_id=request.id))
        return request.id


def take(url: str, handoff_id: str, username: str, **kwargs) -> bool:
    with session_scope(url) as session:
        return handoffs.take(session, handoff_id, username, **kwargs)


def queue_ids(url: str, municipality: str) -> list[str]:
    with session_scope(url) as session:
        return [item.id for item in handoffs.queue(session, municipality)]


def test_queue_holds_waiting_requests_of_the_municipality_longest_waiting_first(url):
    newer = queued(url, "a", minutes_ago=1)
    older = queued(url, "b", minutes_ago=7, topic="schulden", level="urgent", domains=["geld", "wonen"])
    elsewhere = queued(url, "c", municipality="zwolle", minutes_ago=3)
    queued(url, "d", mode="bot")  # the gateway never queued it (or it ended): not for an expert
    assert queue_ids(url, "twenterand") == [older, newer]
    assert queue_ids(url, "zwolle") == [elsewhere]
    assert queue_ids(url, "dordrecht") == []
    assert queue_ids(url, handoffs.ALL_MUNICIPALITIES) == [older, elsewhere, newer]
    with session_scope(url) as session:
        first = handoffs.queue(session, "twenterand")[0]
    assert (first.topic, first.screening_level, first.screening_domains) == ("schulden", "urgent", ("geld", "wonen"))
    assert (first.municipality, first.channel, first.status, first.taken_by) == ("twenterand", "telegram", "waiting", None)
    assert first.waiting_seconds(now=T0) == 7 * 60
    assert first.waiting_seconds(now=T0 - timedelta(hours=1)) == 0  # a clock that went back is not negative


def test_take_once(url):
    handoff_id = queued(url, "a")
    assert take(url, handoff_id, "expert-1", now=T0 + timedelta(minutes=2)) is True
    assert take(url, handoff_id, "expert-2") is False
    assert take(url, handoff_id, "expert-1") is False  # a second click changes nothing either
    assert queue_ids(url, "twenterand") == []
    with session_scope(url) as session:
        view = handoffs.get(session, handoff_id)
    assert (view.status, view.taken_by, view.taken_at) == ("taken", "expert-1", T0 + timedelta(minutes=2))
    assert view.waiting_seconds(now=T0 + timedelta(hours=1)) == 120  # waiting stopped when taken


def test_take_respects_the_municipality_and_unknown_ids(url):
    handoff_id = queued(url, "a", municipality="zwolle")
    assert take(url, handoff_id, "twenterand-expert", municipality="twenterand") is False
    assert take(url, "no-such-request", "zwolle-expert", municipality="zwolle") is False
    assert queue_ids(url, "zwolle") == [handoff_id]
    assert take(url, handoff_id, "zwolle-expert", municipality="zwolle") is True


@pytest.mark.parametrize("status", ["cancelled", "expired", "closed"])
def test_an_ended_request_cannot_be_taken(url, status):
    handoff_id = queued(url, "a")
    with session_scope(url) as session:
        session.get(HandoffRequest, handoff_id).status = status
    assert take(url, handoff_id, "expert-1") is False
    assert queue_ids(url, "twenterand") == []


def test_many_experts_take_the_same_request_at_once(url):
    handoff_id = queued(url, "a")
    experts = 8
    barrier = threading.Barrier(experts)
    results: dict[str, bool] = {}
    errors: list[Exception] = []

    def attempt(username: str) -> None:
        try:
            barrier.wait(timeout=30)
            results[username] = take(url, handoff_id, username)
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=attempt, args=(f"expert-{n}",)) for n in range(experts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(results) == experts
    winners = [username for username, won in results.items() if won]
    assert len(winners) == 1
    with session_scope(url) as session:
        assert session.get(HandoffRequest, handoff_id).taken_by == winners[0]


def test_own_chats_and_closing(url):
    mine_first, mine_later, theirs = queued(url, "a"), queued(url, "b"), queued(url, "c")
    assert take(url, mine_first, "expert-1", now=T0)
    assert take(url, mine_later, "expert-1", now=T0 + timedelta(minutes=1))
    assert take(url, theirs, "expert-2", now=T0)
    with session_scope(url) as session:
        assert [v.id for v in handoffs.taken_by(session, "expert-1")] == [mine_first, mine_later]
        assert handoffs.taken_by(session, "expert-3") == []
        assert handoffs.close(session, theirs, "expert-1") is False  # not theirs to close
        assert handoffs.close(session, mine_first, "expert-1") is True
    with session_scope(url) as session:
        assert handoffs.close(session, mine_first, "expert-1") is False  # already closed
        assert [v.id for v in handoffs.taken_by(session, "expert-1")] == [mine_later]
        closed = session.get(HandoffRequest, mine_first)
        assert closed.status == "closed" and closed.closed_at is not None
        assert session.get(HandoffRequest, theirs).status == "taken"


def test_a_waiting_request_cannot_be_closed_by_the_console(url):
    handoff_id = queued(url, "a")
    with session_scope(url) as session:
        assert handoffs.close(session, handoff_id, "expert-1") is False
    assert queue_ids(url, "twenterand") == [handoff_id]


def test_get_unknown_and_without_conversation(url):
    with session_scope(url) as session:
        assert handoffs.get(session, "no-such-request") is None
        request = handoffs.request(session, conversation_id="gone", municipality="twenterand", topic=None,
                                          reason=None, screening_level=None, screening_domains=None)
        handoff_id = request.id
    with session_scope(url) as session:
        view = handoffs.get(session, handoff_id)
    assert (view.channel, view.topic, view.screening_domains) == (None, None, ())


def test_live_messages_in_order(url):
    with session_scope(url) as session:
        session.add_all([
            LiveMessage(conversation_id="conv-a", author="user", text="tweede", created_at=T0 + timedelta(seconds=5)),
            LiveMessage(conversation_id="conv-a", author="user", text="eerste", created_at=T0),
            LiveMessage(conversation_id="conv-a", author="expert", text="derde", created_at=T0 + timedelta(seconds=5)),
            LiveMessage(conversation_id="conv-b", author="user", text="van een ander", created_at=T0),
        ])
    with session_scope(url) as session:
        messages = handoffs.live_messages(session, "conv-a")
        assert [(m.author, m.text) for m in messages] == [("user", "eerste"), ("user", "tweede"), ("expert", "derde")]
