"""Web chat over socket.io, speaking the protocol of Rasa's socketio channel.

So the widely used `rasa-webchat` widget connects unchanged:
  client `session_request` {session_id}  -> server `session_confirm` session_id
  client `user_uttered` {message, session_id}
  server `bot_uttered` {text, quick_replies: [{content_type, title, payload}]} / {attachment} / custom
Our own widget (bot/gateway/static/widget.js) speaks the same, plus `erase_session` ("Nieuw
gesprek"), the server's `typing` event and the `from` field on an expert's messages. Every
session id is a room, so several tabs of one session all get the answers.

With several gateways (`redis_url`), python-socketio's own Redis manager shares the rooms: a message
for a session reaches its sockets on every gateway (an expert's message typed on gateway B reaches the
parent whose socket is on gateway A). A socket itself stays on one gateway, so the load balancer must
keep a browser on one gateway (sticky sessions), or long polling breaks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import uuid
from typing import Any

import socketio

from bot.domain.municipalities import KEY_IN_REQUEST
from bot.gateway.router import Router
from bot.gateway.texts import texts

log = logging.getLogger(__name__)
SOCKETIO_CHANNEL = "scheidingspunt:socketio"  # the Redis channel of the web chat's rooms
REDIS_LOG_EVERY = 60.0  # seconds: the Redis manager's complaints, at most one per minute

_SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_MUNICIPALITY_KEY = re.compile(rf"^{KEY_IN_REQUEST}$")


def message_metadata(data: dict) -> dict | None:
    """What of the widget's customData goes on to Rasa: only the site's municipality key, checked."""
    custom = data.get("customData")
    gemeente = custom.get("gemeente") if isinstance(custom, dict) else None
    return {"gemeente": gemeente} if isinstance(gemeente, str) and _MUNICIPALITY_KEY.match(gemeente) else None


def to_socketio(message: dict) -> dict:
    """A Rasa REST message in the shape Rasa's socketio channel emits."""
    if isinstance(message.get("custom"), dict):
        return message["custom"]
    out: dict[str, Any] = {}
    if message.get("text"):
        out["text"] = message["text"]
    if message.get("buttons"):
        out["quick_replies"] = [
            {"content_type": "text", "title": b.get("title", ""), "payload": b.get("payload", "")}
            for b in message["buttons"]
        ]
    if message.get("image"):
        out["attachment"] = {"type": "image", "payload": {"src": message["image"]}}
    if message.get("from"):
        out["from"] = message["from"]
    return out


class _RedisTrouble(logging.Filter):
    """The Redis manager logs every failed attempt with the error's text: here one line a minute, as a
    warning, without that text (it names hosts; our log lines name the error's kind only)."""

    def __init__(self) -> None:
        super().__init__()
        self._last = float("-inf")

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING or record.created - self._last < REDIS_LOG_EVERY:
            return False
        self._last = record.created
        record.__dict__.pop("redis_exception", None)
        record.msg, record.args = "webchat: Redis cannot be reached; python-socketio tries again", ()
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def redis_manager(url: str) -> socketio.AsyncRedisManager:
    """python-socketio's Redis client manager on `url`, logging through our quiet logger."""
    quiet = logging.getLogger(f"{__name__}.redis")
    if not any(isinstance(f, _RedisTrouble) for f in quiet.filters):
        quiet.addFilter(_RedisTrouble())
    return socketio.AsyncRedisManager(url, channel=SOCKETIO_CHANNEL, logger=quiet,
                                      redis_options={"socket_connect_timeout": 2})


class WebChat:
    name = "web"

    def __init__(self, router: Router, *, cors_origins: list[str] | str = "*",
                 ping_interval: float = 25, ping_timeout: float = 20, redis_url: str | None = None) -> None:
        self.router = router
        options = {"client_manager": redis_manager(redis_url)} if redis_url else {}
        self.sio = socketio.AsyncServer(async_mode="aiohttp", cors_allowed_origins=cors_origins,
                                        ping_interval=ping_interval,
                                        ping_timeout=ping_timeout, logger=False, engineio_logger=False,
                                        **options)
        self.sio.on("connect", self.on_connect)
        self.sio.on("session_request", self.on_session_request)
        self.sio.on("user_uttered", self.on_user_uttered)
        self.sio.on("erase_session", self.on_erase_session)
        router.register(self)

    def attach(self, app) -> None:
        self.sio.attach(app, socketio_path="socket.io")

    async def start(self) -> None:
        """Listen to the other gateways from the start (python-socketio would wait for the first socket
        here; a message for a socket on this gateway could be missed meanwhile)."""
        if isinstance(self.sio.manager, socketio.AsyncRedisManager) and not self.sio.manager_initialized:
            self.sio.manager_initialized = True
            self.sio.manager.initialize()

    async def stop(self) -> None:
        manager = self.sio.manager
        if not isinstance(manager, socketio.AsyncRedisManager):
            return
        listening = getattr(manager, "thread", None)
        if isinstance(listening, asyncio.Future) and not listening.done():
            listening.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await listening
        if manager.redis is not None:
            with contextlib.suppress(Exception):
                await manager.redis.close()
                await manager.redis.connection_pool.disconnect()

    async def on_connect(self, sid: str, environ: dict, auth: Any = None) -> bool:
        return True

    async def _session_of(self, sid: str, data: Any) -> str | None:
        session_id = data.get("session_id") if isinstance(data, dict) else None
        if isinstance(session_id, str) and _SESSION_ID.match(session_id):
            return session_id
        saved = await self.sio.get_session(sid)
        return saved.get("session_id")

    async def on_session_request(self, sid: str, data: Any = None) -> None:
        requested = data.get("session_id") if isinstance(data, dict) else None
        # A reload keeps its session; anything that does not look like one of ours starts a new one.
        valid = isinstance(requested, str) and _SESSION_ID.match(requested)
        session_id = requested if valid else uuid.uuid4().hex
        await self.sio.save_session(sid, {"session_id": session_id})
        await self.sio.enter_room(sid, session_id)
        await self.sio.emit("session_confirm", session_id, to=sid)

    async def on_user_uttered(self, sid: str, data: Any = None) -> None:
        session_id = await self._session_of(sid, data)
        if session_id is None:
            return
        data = data if isinstance(data, dict) else {}
        message = data.get("message")
        # Not text (a number, null, a list from some other client): answered like an empty message.
        message = message if isinstance(message, str) else ""
        try:
            await self.router.from_user(self.name, session_id, message, metadata=message_metadata(data))
        except Exception:  # noqa: BLE001 - the parent gets a reply, never a stack trace
            log.exception("webchat: message could not be handled")
            await self.deliver(session_id, [{"text": texts()["something_went_wrong"]}])

    async def on_erase_session(self, sid: str, data: Any = None) -> None:
        session_id = await self._session_of(sid, data)
        if session_id is not None:
            await self.router.new_conversation(self.name, session_id)

    async def deliver(self, address: str, messages: list[dict]) -> None:
        for message in messages:
            await self.sio.emit("bot_uttered", to_socketio(message), room=address)

    async def typing(self, address: str) -> None:
        await self.sio.emit("typing", {"typing": True}, room=address)
