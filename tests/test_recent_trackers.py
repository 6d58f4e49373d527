"""The next message of a conversation starts from the tracker this process saved last
(privacy/recent_trackers.py), but only while that is the conversation as stored."""

from __future__ import annotations

import asyncio

import pytest
from rasa.shared.core.events import SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from privacy.recent_trackers import RecentTrackers
from privacy.tracker_store import PrivateSQLTrackerStore
from tests.support.store import DATABASES, tracker_store_options
from tests.test_tracker_window import DOMAIN, load, opening, saved, turn


@pytest.fixture(params=DATABASES)
def replicas(request, tmp_path, sqlite_store, monkeypatch):
    """Two tracker stores on one database, as two Rasa replicas have them."""
    options = tracker_store_options(request, tmp_path, "recent")
    monkeypatch.setenv("TRACKER_WINDOW_TURNS", "3")
    return PrivateSQLTrackerStore(DOMAIN, **options), PrivateSQLTrackerStore(DOMAIN, **options)


def retrieve(store, sender):
    return asyncio.run(store.retrieve(sender))


def save(store, tracker):
    asyncio.run(store.save(tracker))


def handled(store, sender, text):
    """`store`'s process answers one message: the conversation as stored, a turn, saved."""
    tracker = load(store, sender)
    for event in turn(text):
        tracker.update(event)
    save(store, tracker)
    return tracker


def test_the_next_message_starts_from_the_saved_tracker(replicas):
    a, _b = replicas
    saved(a, "c1", [*opening(), *turn("hoi")])
    tracker = handled(a, "c1", "hoe gaat het")
    assert retrieve(a, "c1") is tracker
    # Taken out while a message uses it: another caller loads the same conversation from the database.
    other = retrieve(a, "c1")
    assert other is not tracker and other.latest_message.text == "hoe gaat het"


def test_a_message_another_replica_handled_is_loaded(replicas):
    a, b = replicas
    saved(a, "c2", [*opening(), *turn("hoi")])
    handled(b, "c2", "hoe gaat het")
    seen = retrieve(a, "c2")
    assert seen.latest_message.text == "hoe gaat het"


def test_events_of_a_message_that_failed_halfway_are_not_kept(replicas):
    a, _b = replicas
    saved(a, "c3", [*opening(), *turn("hoi")])
    tracker = retrieve(a, "c3")
    save(a, tracker)
    tracker.update(UserUttered("niet opgeslagen"))  # more events after the save, then the message failed
    reloaded = retrieve(a, "c3")
    assert reloaded is not tracker and reloaded.latest_message.text == "hoi"


def test_a_tracker_with_masked_text_is_loaded_masked(replicas):
    a, _b = replicas
    saved(a, "c4", [*opening(), *turn("bel me op 0612345678")])
    assert retrieve(a, "c4").latest_message.text == "bel me op [telefoonnummer]"


def test_a_deleted_conversation_is_gone(replicas):
    a, b = replicas
    saved(a, "c5", [*opening(), *turn("hoi")])
    with b.session_scope() as session:  # the retention job, or a deletion through another replica
        session.query(b.SQLEvent).filter(b.SQLEvent.sender_id == "c5").delete()
        session.commit()
    assert retrieve(a, "c5") is None


def test_a_long_or_new_session_tracker_is_loaded_again():
    recent = RecentTrackers(limit=2)
    short = DialogueStateTracker.from_events("s", [*opening(), *turn("a"), *turn("b")], DOMAIN.slots)
    recent.remember(short, last_id=7)
    assert recent.recall("s", 7) is short
    long = DialogueStateTracker.from_events("s", [*opening(), *turn("a"), *turn("b"), *turn("c")], DOMAIN.slots)
    recent.remember(long, last_id=9)
    assert recent.recall("s", 9) is None
    two = DialogueStateTracker.from_events("s", [*opening(), *turn("a"), SessionStarted(), *turn("b")], DOMAIN.slots)
    recent.remember(two, last_id=11)
    assert recent.recall("s", 11) is None


def test_only_the_most_recent_conversations_are_kept():
    recent = RecentTrackers(size=2)
    trackers = [DialogueStateTracker.from_events(f"s{i}", [*opening(), *turn("a")], DOMAIN.slots) for i in range(3)]
    for number, tracker in enumerate(trackers):
        recent.remember(tracker, last_id=number)
    assert recent.recall("s0", 0) is None
    assert recent.recall("s1", 1) is trackers[1] and recent.recall("s2", 2) is trackers[2]
