"""The hand-over's life (bot/store/handoffs.py) on SQLite and PostgreSQL: the transition table, queue, take, close."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest

from bot.domain.names import HandoffStatus
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


# --- the transition table -------------------------------------------------------------------------

ENDING = {  # the transitions that end a hand-over and put its conversation back in BOT mode
    handoffs.Transition.EXPIRE: handoffs.expire,
    handoffs.Transition.LEAVE_WAITING: handoffs.leave_waiting,
    handoffs.Transition.CANCEL: handoffs.cancel,
    handoffs.Transition.HAND_BACK: handoffs.hand_back,
    handoffs.Transition.CLOSE_CHAT: handoffs.close_chat,
}
STATUSES = [status.value for status in HandoffStatus]


def test_the_table_as_the_readme_states_it():
    table = {transition.value: (sorted(move.sources), move.target.value)
             for transition, move in handoffs.TRANSITIONS.items()}
    assert table == {
        "take": (["waiting"], "taken"),
        "expire": (["waiting"], "expired"),
        "leave_waiting": (["waiting"], "cancelled"),
        "cancel": (["taken", "waiting"], "cancelled"),
        "hand_back": (["taken", "waiting"], "closed"),
        "close_chat": (["taken", "waiting"], "closed"),
        "close": (["taken"], "closed"),
    }
    assert handoffs.INITIAL == "waiting"
    assert sorted(handoffs.FINAL) == ["cancelled", "closed", "expired"]
    assert not any(handoffs.FINAL & move.sources for move in handoffs.TRANSITIONS.values())  # final is final
    assert set(ENDING) | {handoffs.Transition.TAKE, handoffs.Transition.CLOSE} == set(handoffs.Transition)


def in_human_mode(url: str, status: str, *, taken_by: str | None = None) -> tuple[str, str]:
    """A request the gateway queued (its conversation in HUMAN mode), moved to `status` by hand."""
    with session_scope(url) as session:
        made = handoffs.request(session, conversation_id="conv-a", municipality="twenterand", topic=None,
                                reason=None, screening_level=None, screening_domains=None)
        assert made.status == "waiting" and made.closed_at is None and made.taken_at is None
        handoffs.enter_queue(session, conversation_id="conv-a", channel="web", address="address-a",
                             handoff_id=made.id)
        made.status, made.taken_by = status, taken_by
        return "conv-a", made.id


def stored(url: str, handoff_id: str) -> tuple[HandoffRequest, Conversation]:
    with session_scope(url) as session:
        return session.get(HandoffRequest, handoff_id), session.get(Conversation, "conv-a")


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("transition", list(ENDING), ids=[t.value for t in ENDING])
def test_each_ending_transition_from_each_status(url, transition, status):
    conversation_id, handoff_id = in_human_mode(url, status, taken_by="expert-1" if status == "taken" else None)
    with session_scope(url) as session:
        ended = ENDING[transition](session, conversation_id)
    request, conversation = stored(url, handoff_id)
    move = handoffs.TRANSITIONS[transition]
    if handoffs.allowed(transition, status):
        assert ended is not None and ended.handoff_id == handoff_id
        assert (ended.conversation.id, ended.conversation.channel, ended.conversation.address) == (
            conversation_id, "web", "address-a")
        assert request.status == move.target and request.closed_at is not None
        assert (conversation.mode, conversation.handoff_id) == ("bot", None)
        assert conversation.mode_since == request.closed_at  # one moment for both
    elif status in handoffs.FINAL:
        # Out of step (the request ended, the conversation still with an expert): the conversation goes
        # back to the bot, and a final status stays as it was.
        assert ended is not None and ended.handoff_id == handoff_id
        assert (request.status, request.closed_at) == (status, None)
        assert (conversation.mode, conversation.handoff_id) == ("bot", None)
    else:  # refused: e.g. an expert took it before the timeout
        assert ended is None
        assert (request.status, request.closed_at) == (status, None)
        assert (conversation.mode, conversation.handoff_id) == ("human", handoff_id)


@pytest.mark.parametrize("transition", list(ENDING), ids=[t.value for t in ENDING])
def test_ending_needs_a_conversation_with_an_expert(url, transition):
    conversation_id, handoff_id = in_human_mode(url, "waiting")
    with session_scope(url) as session:
        assert ENDING[transition](session, "no-such-conversation") is None
        session.get(Conversation, conversation_id).mode = "bot"
    with session_scope(url) as session:
        assert ENDING[transition](session, conversation_id) is None
    assert stored(url, handoff_id)[0].status == "waiting"


def test_ending_without_a_request_still_lets_the_conversation_go(url):
    with session_scope(url) as session:
        handoffs.enter_queue(session, conversation_id="conv-a", channel="web", address="address-a",
                             handoff_id="gone")
    with session_scope(url) as session:
        ended = handoffs.cancel(session, "conv-a")
        assert ended is not None and ended.handoff_id == "gone" and ended.conversation.mode == "bot"


@pytest.mark.parametrize("status", STATUSES)
def test_take_from_each_status(url, status):
    _, handoff_id = in_human_mode(url, status)
    with session_scope(url) as session:
        won = handoffs.take(session, handoff_id, "expert-1", now=T0)
    request, conversation = stored(url, handoff_id)
    assert won is handoffs.allowed(handoffs.Transition.TAKE, status) is (status == "waiting")
    if won:
        assert (request.status, request.taken_by, request.taken_at) == ("taken", "expert-1", T0)
    else:
        assert (request.status, request.taken_by, request.taken_at) == (status, None, None)
    assert conversation.mode == "human"  # taking changes the request only


@pytest.mark.parametrize("status", STATUSES)
def test_close_from_each_status(url, status):
    _, handoff_id = in_human_mode(url, status, taken_by="expert-1")
    with session_scope(url) as session:
        assert handoffs.close(session, handoff_id, "expert-2", now=T0) is False  # not theirs
        closed = handoffs.close(session, handoff_id, "expert-1", now=T0)
    request, conversation = stored(url, handoff_id)
    assert closed is handoffs.allowed(handoffs.Transition.CLOSE, status) is (status == "taken")
    assert (request.status, request.closed_at) == (("closed", T0) if closed else (status, None))
    assert conversation.mode == "human"  # the console's close changes the request only


def test_enter_queue_position_waiting_and_recovery(url):
    first = queued(url, "a", minutes_ago=5)
    with session_scope(url) as session:
        later = handoffs.request(session, conversation_id="conv-b", municipality="zwolle", topic=None,
                                 reason=None, screening_level=None, screening_domains=None)
        later.created_at = T0  # after the first (T0 - 5 minutes)
        assert [conversation_id for conversation_id, _ in handoffs.waiting_since(session)] == ["conv-a"]
        assert handoffs.enter_queue(session, conversation_id="conv-b", channel="telegram", address="42",
                                    handoff_id=later.id) == 2
        conversation = session.get(Conversation, "conv-b")
        assert (conversation.mode, conversation.handoff_id, conversation.address) == ("human", later.id, "42")
        assert later.channel == "telegram"  # learnt from the conversation
        assert handoffs.is_waiting(session, later.id) and handoffs.is_waiting(session, first)
        assert not handoffs.is_waiting(session, None) and not handoffs.is_waiting(session, "no-such-request")
    assert take(url, first, "expert-1")
    with session_scope(url) as session:
        assert not handoffs.is_waiting(session, first)
        assert [conversation_id for conversation_id, _ in handoffs.waiting_since(session)] == ["conv-b"]
        assert handoffs.queue_position(session, later.created_at) == 1
