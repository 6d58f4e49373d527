"""The gateway's web chat (socket.io) on a real port of 127.0.0.1, in front of any Rasa (a fake or
AsyncRasa)."""

from __future__ import annotations

import asyncio

import socketio
from aiohttp import web

from bot.gateway.router import Router
from bot.gateway.webchat import WebChat
from bot.launcher import free_port


async def serve(rasa) -> tuple[web.AppRunner, str]:
    app = web.Application()
    # A short ping interval: the test client long-polls, and closing waits for the current poll.
    WebChat(Router(rasa, secret="s"), cors_origins="*", ping_interval=0.2,
            ping_timeout=1).attach(app)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port, shutdown_timeout=0.5).start()
    return runner, f"http://127.0.0.1:{port}"


async def client(url: str, session_id: str | None) -> tuple[socketio.AsyncClient, asyncio.Queue, str]:
    """A browser's web chat: connected, its session confirmed; (client, the bot's messages, session id)."""
    sio = socketio.AsyncClient()
    received: asyncio.Queue = asyncio.Queue()
    confirmed: asyncio.Future = asyncio.get_running_loop().create_future()
    sio.on("bot_uttered", lambda data: received.put_nowait(data))
    sio.on("session_confirm", lambda sid: confirmed.set_result(sid) if not confirmed.done() else None)
    # Long polling: python-engineio's websocket client needs a newer aiohttp than Rasa 3.6 allows.
    await sio.connect(url, transports=["polling"], socketio_path="socket.io")
    await sio.emit("session_request", {"session_id": session_id})
    return sio, received, await asyncio.wait_for(confirmed, 5)
