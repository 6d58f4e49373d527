"""Personal numbers never reach the tracker store in clear text; deletion removes a conversation."""

from __future__ import annotations

import asyncio
import json

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.domain.redact import redact, redact_data
from privacy.tracker_store import DELETE_ACTION, PrivateSQLTrackerStore
from tests.support.store import DATABASES, tracker_store_options


@pytest.mark.parametrize(
    "text, expected",
    [
        ("bel me op 06-12345678", "bel me op [telefoonnummer]"),
        ("mijn nummer is +31 6 1234 5678", "mijn nummer is [telefoonnummer]"),
        ("of 0031 6 12345678", "of [telefoonnummer]"),
        ("vast: 020-1234567", "vast: [telefoonnummer]"),
        ("mail jan.jansen@example.nl maar", "mail [e-mailadres] maar"),
        ("iban NL91 ABNA 0417 1643 00 graag", "iban [IBAN] graag"),
        ("NL91ABNA0417164300", "[IBAN]"),
        ("mijn bsn is 111222333", "mijn bsn is [BSN]"),
        # Helplines the bot itself gives, amounts and ages stay readable.
        ("bel Veilig Thuis 0800-2000 of 112", "bel Veilig Thuis 0800-2000 of 112"),
        ("Juridisch Loket 0900-8020, 113 of 0800-0113", "Juridisch Loket 0900-8020, 113 of 0800-0113"),
        ("in 2026 is het € 1.800,- per maand", "in 2026 is het € 1.800,- per maand"),
        ("2 kinderen van 8 en 12", "2 kinderen van 8 en 12"),
    ],
)
def test_redact(text, expected):
    assert redact(text) == expected


def test_redact_data_walks_nested_structures():
    data = {"text": "06-12345678", "parse_data": {"entities": [{"value": "a@b.nl"}]}, "n": 3}
    assert redact_data(data) == {
        "text": "[telefoonnummer]", "parse_data": {"entities": [{"value": "[e-mailadres]"}]}, "n": 3,
    }


def test_a_text_without_personal_data_is_checked_once_and_a_personal_one_never_kept(monkeypatch):
    from bot.domain import redact as module

    calls = []
    real = module._masked
    monkeypatch.setattr(module, "_masked", lambda text: calls.append(text) or real(text))
    answer = "Bel Veilig Thuis op 0800-2000, dag en nacht (2026)."
    assert redact(answer) == answer and redact(answer) == answer
    assert calls == [answer]
    assert redact("mijn nummer is 0612345678") == "mijn nummer is [telefoonnummer]"
    assert "mijn nummer is 0612345678" not in module._clean


@pytest.fixture(params=DATABASES)
def store(request, tmp_path, sqlite_store):
    # sqlite_store points DATABASE_URL at a fresh file: the figures counted on saving go there, not to var/.
    return PrivateSQLTrackerStore(Domain.empty(), **tracker_store_options(request, tmp_path, "tracker"))


def stored_rows(store, sender):
    with store.session_scope() as session:
        rows = session.query(store.SQLEvent).filter(store.SQLEvent.sender_id == sender)
        rows = rows.order_by(store.SQLEvent.id).all()
        return [json.loads(row.data) for row in rows]


def test_store_masks_personal_numbers(store):
    tracker = DialogueStateTracker.from_events("s1", [
        UserUttered("bel me op 06-12345678 of mail a@b.nl", parse_data={"text": "bel me op 06-12345678 of mail a@b.nl"}),
        SlotSet("note", "NL91ABNA0417164300"),
        BotUttered("Bel Veilig Thuis: 0800-2000"),
    ])
    asyncio.run(store.save(tracker))
    raw = json.dumps(stored_rows(store, "s1"))
    assert "12345678" not in raw and "a@b.nl" not in raw and "NL91" not in raw
    assert "[telefoonnummer]" in raw and "0800-2000" in raw
    restored = asyncio.run(store.retrieve("s1"))
    assert restored.latest_message.text == "bel me op [telefoonnummer] of mail [e-mailadres]"


def test_store_deletes_a_conversation_after_the_delete_action(store):
    events = [UserUttered("hoi"), BotUttered("Hoi!")]
    asyncio.run(store.save(DialogueStateTracker.from_events("s2", events)))
    asyncio.run(store.save(DialogueStateTracker.from_events("other", events)))
    assert stored_rows(store, "s2")
    events += [UserUttered("verwijder mijn gesprek"), ActionExecuted(DELETE_ACTION)]
    asyncio.run(store.save(DialogueStateTracker.from_events("s2", events)))
    assert stored_rows(store, "s2") == []
    assert len(stored_rows(store, "other")) == 2


def test_ids_made_of_hex_digits_are_not_mistaken_for_numbers():
    # Slots hold database ids such as a callback draft's; masking them would break the booking.
    import uuid

    ids = [uuid.uuid4().hex for _ in range(2000)]
    assert [redact(i) for i in ids] == ids
    assert redact("nr:0612345678, id 07011746233c4cc4") == "nr:[telefoonnummer], id 07011746233c4cc4"


def test_store_waits_for_its_database_to_come_back(tmp_path, sqlite_store, monkeypatch):
    """A database that cannot be reached for a moment (PostgreSQL restarting) is tried again, so the
    message is answered from its real tracker, not from the empty one of Rasa's fail-safe store."""
    import sqlalchemy.exc

    from privacy import tracker_store

    store = PrivateSQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "tracker.db"))
    asyncio.run(store.save(DialogueStateTracker.from_events("s3", [UserUttered("hoi"), BotUttered("Hoi!")])))
    real_sleep = asyncio.sleep
    monkeypatch.setattr(tracker_store.asyncio, "sleep", lambda seconds: real_sleep(0))
    original, failures = store.session_scope, []

    def flaky():
        if len(failures) < 3:
            failures.append(1)
            raise sqlalchemy.exc.OperationalError("SELECT", {}, Exception("the database system is shutting down"))
        return original()

    monkeypatch.setattr(store, "session_scope", flaky)
    assert asyncio.run(store.retrieve("s3")).latest_message.text == "hoi"
    assert len(failures) == 3
    failures.clear()
    events = [UserUttered("hoi"), BotUttered("Hoi!"), UserUttered("nog een vraag")]
    asyncio.run(store.save(DialogueStateTracker.from_events("s3", events)))
    assert [e.get("text") for e in stored_rows(store, "s3")] == ["hoi", "Hoi!", "nog een vraag"]


def test_embedded_store_keeps_its_connection_and_write_ahead_log(tmp_path, sqlite_store):
    """Closing SQLite's last connection checkpoints the log with an fsync and deletes it; the store keeps
    a pooled connection, so a message does not pay for that (issue 15)."""
    store = PrivateSQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "tracker.db"))
    asyncio.run(store.save(DialogueStateTracker.from_events("s5", [UserUttered("hoi"), BotUttered("Hoi!")])))
    assert asyncio.run(store.retrieve("s5")).latest_message.text == "hoi"
    assert (tmp_path / "tracker.db-wal").exists()


def test_store_gives_up_when_its_database_stays_away(tmp_path, sqlite_store, monkeypatch):
    import sqlalchemy.exc

    from privacy import tracker_store

    store = PrivateSQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "tracker.db"))
    monkeypatch.setattr(tracker_store, "RECONNECT_SECONDS", 0.0)

    def down():
        raise sqlalchemy.exc.OperationalError("SELECT", {}, Exception("connection refused"))

    monkeypatch.setattr(store, "session_scope", down)
    with pytest.raises(sqlalchemy.exc.OperationalError):
        asyncio.run(store.retrieve("s4"))


def test_rasa_log_lines_leave_out_what_the_parent_wrote(caplog):
    """Rasa's line for a message it failed on ("rest.message.received.failure") quotes the message; with
    our REST channel loaded, the text is gone from it, the event name stays."""
    import structlog
    from rasa.utils.log_utils import configure_structlog

    from privacy import rasa_logs

    configure_structlog()
    rasa_logs.install()
    rasa_logs.install()  # loading the channel twice adds it once
    assert structlog.get_config()["processors"].count(rasa_logs.without_content) == 1

    def receive(text: str) -> None:  # as Rasa's REST channel: the message is a local of the failing frame
        try:
            raise ConnectionError("the lock store went away")
        except ConnectionError:
            structlog.get_logger().exception("rest.message.received.failure", text=text,
                                             parse_data_text=text, sender_id="web-abc")

    receive("bel me op 0612345678")
    out = caplog.text
    assert "rest.message.received.failure" in out and "web-abc" in out and "ConnectionError" in out
    assert "0612345678" not in out and "[removed]" in out


def test_the_embedded_tracker_store_writes_ahead_and_syncs_at_checkpoints(tmp_path, sqlite_store):
    store = PrivateSQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "tracker.db"))
    asyncio.run(store.save(DialogueStateTracker.from_events("s1", [UserUttered("hoi")])))
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
