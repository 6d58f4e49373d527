"""The gateway in front of the real assistant: a web chat session over socket.io, end to end."""

from __future__ import annotations

import asyncio

import pytest
import socketio
from aiohttp import web

from bot.gateway.app import Settings, build_app
from bot.gateway.texts import texts
from bot.launcher import free_port
from tests.support.assistant import TOKEN
from tests.support.responses import rendered


@pytest.fixture
def gateway_settings(assistant, monkeypatch):
    # The same store as the action server, so the router sees what the actions recorded.
    monkeypatch.setenv("DATABASE_URL", assistant.processes.database_url)
    return Settings(port=free_port(), rasa_url=assistant.processes.url, rasa_token=TOKEN, secret="test")


async def run_gateway(settings: Settings, scenario):
    app = build_app(settings, with_telegram=False)
    app["webchat"].sio.eio.ping_interval, app["webchat"].sio.eio.ping_timeout = 1, 1
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", settings.port, shutdown_timeout=0.5).start()
    sio = socketio.AsyncClient()
    received: asyncio.Queue = asyncio.Queue()
    confirmed: asyncio.Future = asyncio.get_running_loop().create_future()
    sio.on("bot_uttered", lambda data: received.put_nowait(data))
    sio.on("session_confirm", lambda sid: confirmed.done() or confirmed.set_result(sid))
    try:
        await sio.connect(f"http://127.0.0.1:{settings.port}", transports=["polling"])
        await sio.emit("session_request", {"session_id": None})
        session_id = await asyncio.wait_for(confirmed, 10)

        async def say(text: str, replies: int = 1, until: str | None = None) -> list[dict]:
            """The first `replies` answers, or (`until`) the answers up to the one with that text."""
            await sio.emit("user_uttered", {"message": text, "session_id": session_id})
            if until is None:
                return [await asyncio.wait_for(received.get(), 60) for _ in range(replies)]
            answers = [await asyncio.wait_for(received.get(), 60)]
            while answers[-1].get("text") != until:
                answers.append(await asyncio.wait_for(received.get(), 60))
            return answers

        return await scenario(app, session_id, say)
    finally:
        await sio.disconnect()
        await runner.cleanup()


def test_a_parent_chats_through_the_gateway(assistant, gateway_settings):
    async def scenario(app, session_id, say):
        greeting = await say("hallo")
        acknowledged, asked = await say("ik wil met een mens praten", replies=2)
        return session_id, greeting, acknowledged, asked

    session_id, greeting, acknowledged, asked = asyncio.run(run_gateway(gateway_settings, scenario))
    assert "digitale assistent" in greeting[0]["text"]
    # Without the widget's site (no customData here) the request is acknowledged, then the municipality
    # is asked with the reason.
    assert acknowledged["text"] == rendered({"response": "utter_handoff_acknowledge"})["text"]
    assert "gemeente" in asked["text"]
    titles = [reply["title"] for reply in asked["quick_replies"]]
    assert "Zwolle" in titles and "Zeg ik liever niet" in titles


def test_new_conversation_erases_it_in_rasa(assistant, gateway_settings):
    async def scenario(app, session_id, say):
        await say("mijn nummer is 0612345678, hoe werkt kinderalimentatie?")
        sender = app["router"].conversation_id("web", session_id)
        stored_before = " ".join(assistant.stored_events(sender))
        confirmation = await say_erase(app, session_id)
        return sender, stored_before, confirmation

    async def say_erase(app, session_id):
        # What the widget's "Nieuw gesprek" button sends.
        await app["webchat"].on_erase_session("-", {"session_id": session_id})

    sender, stored_before, _ = asyncio.run(run_gateway(gateway_settings, scenario))
    assert "kinderalimentatie" in stored_before and "0612345678" not in stored_before
    assert assistant.stored_events(sender) == []


def test_an_action_server_that_went_away_gets_a_try_again_not_half_an_answer(assistant, gateway_settings):
    """Rasa goes on without a custom action that failed: the callback form would not start and its first
    question would never come. The parent hears that it did not work; sent again, it works."""
    sorry = texts()["unavailable"]

    async def scenario(app, session_id, say):
        # Stopping and starting the action server blocks: off the event loop, or the chat's socket times out.
        stopped = assistant.processes.stopped("actions")
        await asyncio.to_thread(stopped.__enter__)
        try:
            first = await say("bel me terug", until=sorry)
            failed = app["router"].metrics.registry.get_sample_value(
                "scheidingspunt_rasa_errors_total", {"call": "action"})
        finally:
            await asyncio.to_thread(stopped.__exit__, None, None, None)
        again = await say("bel me terug", replies=2)
        return first, failed, again

    first, failed, again = asyncio.run(run_gateway(gateway_settings, scenario))
    assert first[-1]["text"] == sorry and not any("telefoonnummer" in m.get("text", "") for m in first)
    assert failed == 1
    assert again[0]["text"] == rendered({"response": "utter_callback_acknowledge"})["text"]
    assert "telefoonnummer" in again[1]["text"]
