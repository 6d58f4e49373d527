"""The web chat speaks Rasa's socketio protocol (session_request/confirm, user_uttered, bot_uttered)."""

from __future__ import annotations

import asyncio

import pytest
import socketio
from aiohttp import web

from bot.gateway.webchat import message_metadata, to_socketio
from bot.launcher import free_port
from tests.support.fakes import FakeRasa
from tests.support.webchat import client, serve


@pytest.fixture
def store(sqlite_store):
    return sqlite_store


def replies(sender: str, text: str) -> list[dict]:
    return [{"text": f"Je zei: {text}", "buttons": [{"title": "Ja", "payload": "/affirm"}]}]


async def leave(sio: socketio.AsyncClient) -> None:
    """Close the connection as a closed browser tab does, without waiting for the client's current long
    poll to come back (up to a ping interval plus the grace period: a second per test)."""
    await sio.eio.disconnect(abort=True)


def test_protocol_round_trip_and_session_kept_on_reconnect(store):
    rasa = FakeRasa(replies)

    async def scenario():
        runner, url = await serve(rasa)
        try:
            sio, received, session_id = await client(url, None)
            assert len(session_id) == 32
            await sio.emit("user_uttered", {"message": "hoi <script>x</script>", "session_id": session_id})
            answer = await asyncio.wait_for(received.get(), 5)
            assert answer == {"text": "Je zei: hoi <script>x</script>",
                              "quick_replies": [{"content_type": "text", "title": "Ja", "payload": "/affirm"}]}
            await leave(sio)
            # A page reload reconnects with the stored session id and keeps the conversation.
            again, received, same = await client(url, session_id)
            assert same == session_id
            await again.emit("user_uttered", {"message": "nog een vraag", "session_id": session_id,
                                              "customData": {"gemeente": "zwolle"}})
            await asyncio.wait_for(received.get(), 5)
            await leave(again)
        finally:
            await runner.cleanup()

    asyncio.run(scenario())
    assert len({sender for sender, _ in rasa.sent}) == 1  # one Rasa conversation across the reload
    assert rasa.metadata == [None, {"gemeente": "zwolle"}]  # the site's municipality reaches Rasa


@pytest.mark.parametrize(("data", "expected"), [
    ({"customData": {"gemeente": "zwolle"}}, {"gemeente": "zwolle"}),
    ({"customData": {"gemeente": "zwolle", "naam": "Jan"}}, {"gemeente": "zwolle"}),  # nothing else passes
    ({"customData": {"gemeente": "Zwolle; drop"}}, None),
    ({"customData": {"gemeente": 3}}, None),
    ({"customData": "zwolle"}, None),
    ({}, None),
])
def test_only_a_valid_municipality_key_goes_on_to_rasa(data, expected):
    assert message_metadata(data) == expected


def test_a_made_up_session_id_gets_a_fresh_one(store):
    async def scenario():
        runner, url = await serve(FakeRasa(replies))
        try:
            sio, _, session_id = await client(url, "../../etc/passwd")
            await leave(sio)
            return session_id
        finally:
            await runner.cleanup()

    assert asyncio.run(scenario()) != "../../etc/passwd"


def test_erase_session_asks_rasa_to_delete(store):
    rasa = FakeRasa(replies)

    async def scenario():
        runner, url = await serve(rasa)
        try:
            sio, received, session_id = await client(url, None)
            await sio.emit("erase_session", {"session_id": session_id})
            await asyncio.wait_for(received.get(), 5)
            await leave(sio)
        finally:
            await runner.cleanup()

    asyncio.run(scenario())
    assert [action for _, action in rasa.executed] == ["action_delete_conversation"]


def test_message_shapes():
    assert to_socketio({"custom": {"handoff": {"id": "x"}}}) == {"handoff": {"id": "x"}}
    assert to_socketio({"image": "https://example.org/a.png"}) == {
        "attachment": {"type": "image", "payload": {"src": "https://example.org/a.png"}}}
    assert to_socketio({"text": "Hoi", "from": "expert"}) == {"text": "Hoi", "from": "expert"}


async def fake_rasa_server() -> tuple[web.AppRunner, str, list[str]]:
    """A Rasa REST channel that echoes: the gateway's real HTTP client must be able to send the text."""
    heard: list[str] = []

    async def webhook(request: web.Request) -> web.Response:
        text = (await request.json())["message"]
        heard.append(text)
        return web.json_response([{"text": f"Je zei: {text}"}])

    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, f"http://127.0.0.1:{port}", heard


@pytest.mark.parametrize(("message", "reaches_rasa", "answer"), [
    ("hoi \ud83d daar", "hoi \ufffd daar", "Je zei: hoi \ufffd daar"),    # half an emoji (copy-paste)
    ("\ude00kinderalimentatie?", "\ufffdkinderalimentatie?", "Je zei: \ufffdkinderalimentatie?"),
    ("hoi\x00\x1b[31m  hoe\u202e  gaat het", "hoi [31m hoe gaat het", "Je zei: hoi [31m hoe gaat het"),
    ("\ud83d", None, "Ik zie geen tekst in je bericht"),
    (" \u200b\t\n ", None, "Ik zie geen tekst in je bericht"),
    ("x" * 5000, None, "Je bericht is te lang voor mij"),
])
def test_odd_characters_through_the_socket_always_get_an_answer(store, message, reaches_rasa, answer):
    from bot.gateway.rasa import AsyncRasa

    async def scenario():
        rasa_runner, rasa_url, heard = await fake_rasa_server()
        runner, url = await serve(AsyncRasa(rasa_url))
        try:
            sio, received, session_id = await client(url, None)
            await sio.emit("user_uttered", {"message": message, "session_id": session_id})
            reply = await asyncio.wait_for(received.get(), 5)
            await leave(sio)
            return heard, reply
        finally:
            await runner.cleanup()
            await rasa_runner.cleanup()

    heard, reply = asyncio.run(scenario())
    assert heard == ([reaches_rasa] if reaches_rasa else [])
    assert reply["text"].startswith(answer)
