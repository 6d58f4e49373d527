"""The gateway's web chat (socket.io) on a real port of 127.0.0.1, in front of any Rasa (a fake or
AsyncRasa)."""

from __future__ import annotations

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
