"""The cluster benchmark's simulated parent (benchmarks/cluster.py): a message its socket refused to send
is sent again over a new connection, without spinning."""

from __future__ import annotations

import asyncio
import time

from websockets.exceptions import ConnectionClosed

from benchmarks import cluster
from benchmarks.sio_client import Event

ANSWER = [{"text": "Zo wordt kinderalimentatie berekend."}]


class Socket:
    """A connection that refuses to send but still looks open (its reader has not seen the end yet)."""

    def __init__(self, refuses: bool) -> None:
        self.refuses, self.closed, self.sent, self.refused = refuses, False, [], 0
        self.events: asyncio.Queue[Event] = asyncio.Queue()

    @property
    def open(self) -> bool:
        return not self.closed

    async def emit(self, name: str, payload: dict) -> None:
        if self.refuses:
            self.refused += 1
            # A loop that tries the same socket again never yields, so no timeout would end it: fail.
            assert self.refused < 100, "sent again and again on the socket that refused it"
            raise ConnectionClosed(None, None)
        self.sent.append(payload["message"])
        self.events.put_nowait(Event("bot_uttered", ANSWER, time.perf_counter()))

    async def wait_for(self, name: str, timeout: float) -> Event:
        return await asyncio.wait_for(self.events.get(), timeout)

    async def close(self) -> None:
        self.closed = True


def test_a_message_the_socket_refused_is_sent_again_after_reconnecting(monkeypatch):
    sockets = [Socket(refuses=True), Socket(refuses=False)]
    handed_out = iter(sockets)

    async def connect(self, attempts: int = 60) -> None:
        self.client, self.session_id = next(handed_out), "sessie"

    monkeypatch.setattr(cluster.Conversation, "connect", connect)
    conversation = cluster.Conversation(1, "http://127.0.0.1:1", ["hoe wordt alimentatie berekend"], [ANSWER])
    turns = asyncio.run(asyncio.wait_for(conversation.run(), 5))
    assert [t.status for t in turns] == ["ok"]
    assert sockets[0].closed and sockets[1].sent == ["hoe wordt alimentatie berekend"]
    assert conversation.reconnects == 1 and conversation.answers == [ANSWER]
