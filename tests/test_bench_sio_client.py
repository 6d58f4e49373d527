"""The benchmark's Socket.IO client: packet encoding and decoding (pure functions, no network)."""

from __future__ import annotations

import pytest

from benchmarks.sio_client import (
    ACK,
    CONNECT,
    CONNECT_ERROR,
    EVENT,
    MESSAGE,
    OPEN,
    PING,
    Packet,
    ProtocolError,
    decode,
    encode_connect,
    encode_disconnect,
    encode_event,
    websocket_url,
)


def test_encodes_what_a_browser_sends():
    assert encode_connect() == "40"
    assert encode_connect("/admin", {"token": "x"}) == '40/admin,{"token":"x"}'
    assert encode_disconnect() == "41"
    assert encode_event("session_request", {"session_id": None}) == '42["session_request",{"session_id":null}]'
    # Dutch text goes out as UTF-8, not as \\u escapes; an ack id sits before the array.
    assert encode_event("user_uttered", {"message": "één vraag"}, ack=7) == '427["user_uttered",{"message":"één vraag"}]'
    assert encode_event("x", namespace="/chat") == '42/chat,["x"]'


def test_an_event_needs_a_name():
    with pytest.raises(ValueError):
        encode_event("")


def test_decodes_engine_packets():
    opened = decode('0{"sid":"abc","upgrades":[],"pingInterval":25000,"pingTimeout":20000}')
    assert opened.engine == OPEN and opened.data["pingInterval"] == 25000
    assert decode("2") == Packet(PING)
    assert decode("3probe").data == "probe"


def test_decodes_socketio_packets():
    assert decode('40{"sid":"s1"}') == Packet(MESSAGE, CONNECT, "/", None, {"sid": "s1"})
    assert decode('42["bot_uttered",{"text":"Hoi"}]') == Packet(MESSAGE, EVENT, "/", None,
                                                                ["bot_uttered", {"text": "Hoi"}])
    assert decode('42/chat,12["typing",{"typing":true}]') == Packet(MESSAGE, EVENT, "/chat", 12,
                                                                    ["typing", {"typing": True}])
    assert decode("43/chat,5[]") == Packet(MESSAGE, ACK, "/chat", 5, [])
    assert decode('44{"message":"nee"}').kind == CONNECT_ERROR
    assert decode("41/chat").namespace == "/chat"  # a namespace without anything after it


def test_round_trip():
    frame = encode_event("bot_uttered", {"text": "Bel 0800-0113", "quick_replies": []}, namespace="/x", ack=3)
    assert decode(frame) == Packet(MESSAGE, EVENT, "/x", 3,
                                   ["bot_uttered", {"text": "Bel 0800-0113", "quick_replies": []}])


@pytest.mark.parametrize("frame", ["", "9", "4", "49", b"\x04abc", '451-["x",{"_placeholder":true}]',
                                   '42{"not":"a list"}'])
def test_rejects_what_it_does_not_understand(frame):
    with pytest.raises(ProtocolError):
        decode(frame)


def test_websocket_url():
    assert websocket_url("http://127.0.0.1:8080") == "ws://127.0.0.1:8080/socket.io/?EIO=4&transport=websocket"
    assert websocket_url("https://chat.example.nl", "/socket.io/") == (
        "wss://chat.example.nl/socket.io/?EIO=4&transport=websocket")


def test_talks_to_the_web_chat_over_a_real_websocket(sqlite_store):
    """Against the gateway's WebChat (Rasa faked): the protocol as the benchmark uses it."""
    import asyncio

    from benchmarks.sio_client import SocketIOClient
    from tests.support.fakes import FakeRasa
    from tests.support.webchat import serve

    async def scenario() -> tuple[list[str], list]:
        runner, url = await serve(FakeRasa(lambda sender, text: [{"text": f"1: {text}"}, {"text": f"2: {text}"}]))
        try:
            client = SocketIOClient()
            await client.connect(url, timeout=5)
            await client.emit("session_request", {"session_id": None})
            confirmed = await client.wait_for("session_confirm", 5)
            await client.emit("user_uttered", {"message": "hoi", "session_id": confirmed.args[0]})
            events = [await client.next_event(5) for _ in range(3)]
            # The server's pings (every second here) are answered, so the connection outlives them.
            await asyncio.sleep(2.5)
            await client.emit("user_uttered", {"message": "nog", "session_id": confirmed.args[0]})
            later = await client.wait_for("bot_uttered", 5)
            await client.close()
            return [e.name for e in events], [events[1].args, events[2].args, later.args]
        finally:
            await runner.cleanup()

    names, args = asyncio.run(scenario())
    assert names == ["typing", "bot_uttered", "bot_uttered"]
    assert args == [[{"text": "1: hoi"}], [{"text": "2: hoi"}], [{"text": "1: nog"}]]
