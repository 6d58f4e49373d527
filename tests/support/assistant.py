"""Start the trained assistant (Rasa server + action server) once per test session, on free
ports and a throw-away SQLite tracker store, and talk to it over the REST channel.

One instance serves the conversation tests and the browser tests (tests/conftest.py imports the
fixture)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import pytest

from bot.launcher import RasaProcesses
from bot.rasa_client import RasaClient

TOKEN = "test-token"


@dataclass
class Assistant:
    processes: RasaProcesses
    client: RasaClient

    def ask(self, sender: str, text: str, metadata: dict | None = None) -> list[dict]:
        return self.client.send(sender, text, metadata)

    def texts(self, sender: str, text: str) -> list[str]:
        return [m.get("text", "") for m in self.ask(sender, text)]

    def tracker(self, sender: str) -> dict:
        return self.client.tracker(sender)

    def stored_events(self, sender: str) -> list[str]:
        with sqlite3.connect(self.processes.tracker_db) as connection:
            rows = connection.execute("SELECT data FROM events WHERE sender_id = ?", (sender,))
            return [row[0] for row in rows]


@pytest.fixture(scope="session")
def assistant(trained_model, tmp_path_factory):
    processes = RasaProcesses(trained_model, tmp_path_factory.mktemp("assistant"), api_token=TOKEN)
    with processes:
        yield Assistant(processes, RasaClient(processes.url, token=TOKEN))
    # An action that crashed shows up here even when the user got a friendly reply.
    actions_log = processes.log("actions").read_text()
    assert "Traceback" not in actions_log, actions_log[-3000:]
    # The tests type phone numbers and e-mail addresses; no log may hold them.
    for name in ("actions", "rasa", "startup"):
        log = processes.log(name).read_text()
        for personal in ("12345678", "1234 5678", "0612345678", "@example"):
            assert personal not in log, f"{personal!r} in the {name} log"
