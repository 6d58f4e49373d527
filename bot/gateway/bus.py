"""What one gateway process tells the others: one Redis pub/sub channel, or nothing at all.

With one gateway (`REDIS_URL` unset) there is nobody to tell: `LocalBus` does nothing, and the router
tells its own listeners directly, as it always did. With several gateways behind a load balancer
(`REDIS_URL` set), `RedisBus` carries two kinds of message between them:

- `event`: a live event of the router (queued, taken, message, left, expired, handed_back, closed,
  erased, safety) with the conversation id (derived with a secret; never a chat id or phone number),
  the hand-over id and, for a live-chat message, its redacted text. Every other gateway hands it to its
  own listeners (the expert console), so each console hears each event exactly once.
- `deliver`: messages for a parent on a channel this gateway does not run (Telegram runs on one
  gateway only); the gateway that runs it delivers them.

Each message carries the id of the process that sent it, and a process skips its own: it has already
told its own listeners. Publishing never waits for Redis: messages wait in a bounded outbox while Redis
is away, and go out in order once it is back. The subscription comes back by itself after a Redis
restart. One warning per outage (the error's type only), one line when it is back; nothing a parent or
an expert wrote is ever logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Protocol

from redis.asyncio import Redis

log = logging.getLogger(__name__)

CHANNEL = "scheidingspunt:live"
RETRY_SECONDS = 1.0  # between attempts while Redis is away
MAX_BACKLOG = 1000  # messages kept while Redis is away; the oldest go first when it is full
CONNECT_TIMEOUT = 2.0
COMMAND_TIMEOUT = 5.0

# A message from another gateway: {"kind": "event" | "deliver", ...} without the sender's id.
Handler = Callable[[dict], Awaitable[None]]


class Bus(Protocol):
    shared: bool  # whether other gateway processes hear what is published

    async def start(self, handler: Handler) -> None: ...

    def publish(self, message: dict) -> None: ...

    async def close(self) -> None: ...


class LocalBus:
    """One gateway process: nothing to share."""

    shared = False

    async def start(self, handler: Handler) -> None:
        return None

    def publish(self, message: dict) -> None:
        return None

    async def close(self) -> None:
        return None


class RedisBus:
    """Several gateway processes, one Redis channel between them."""

    shared = True

    def __init__(self, url: str, *, channel: str = CHANNEL, retry_seconds: float = RETRY_SECONDS,
                 max_backlog: int = MAX_BACKLOG) -> None:
        self.url = url
        self.channel = channel
        self.retry_seconds = retry_seconds
        self.origin = secrets.token_hex(8)  # this process; it skips what it sent itself
        self.subscribed = asyncio.Event()  # set while the subscription is confirmed by Redis
        self._outbox: asyncio.Queue[str] = asyncio.Queue(maxsize=max_backlog)
        self._handler: Handler | None = None
        self._tasks: list[asyncio.Task] = []
        self._publisher: Redis | None = None
        self._subscriber: Redis | None = None
        self._down = False  # between the warning of an outage and the line that it is over
        self._dropping = False

    async def start(self, handler: Handler) -> None:
        self._handler = handler
        self._publisher = Redis.from_url(self.url, socket_connect_timeout=CONNECT_TIMEOUT,
                                         socket_timeout=COMMAND_TIMEOUT)
        # No read timeout on the subscription: it is quiet for as long as nobody says anything.
        self._subscriber = Redis.from_url(self.url, socket_connect_timeout=CONNECT_TIMEOUT)
        self._tasks = [asyncio.create_task(self._listen()), asyncio.create_task(self._send_all())]

    def publish(self, message: dict) -> None:
        """Queue `message` for the other gateways; never waits."""
        envelope = json.dumps({**message, "origin": self.origin}, ensure_ascii=False, default=str)
        if self._outbox.full():
            self._outbox.get_nowait()  # the oldest goes: a long outage must not fill the memory
            if not self._dropping:
                self._dropping = True
                log.warning("bus: Redis has been away too long; the oldest live events are dropped")
        self._outbox.put_nowait(envelope)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        for client in (self._publisher, self._subscriber):
            if client is not None:
                with contextlib.suppress(Exception):
                    await client.close()
                with contextlib.suppress(Exception):
                    await client.connection_pool.disconnect()
        self.subscribed.clear()

    # --- in the background ---------------------------------------------------------------------

    def _lost(self, error: BaseException) -> None:
        self.subscribed.clear()
        if not self._down:
            self._down = True
            log.warning("bus: Redis cannot be reached; trying again (%s)", type(error).__name__)

    def _back(self) -> None:
        if self._down:
            self._down = False
            log.info("bus: Redis can be reached again")

    async def _send_all(self) -> None:
        """Publish what waits in the outbox, in order; a message is retried until Redis takes it."""
        assert self._publisher is not None
        while True:
            envelope = await self._outbox.get()
            attempt = 0
            while True:
                attempt += 1
                try:
                    await self._publisher.publish(self.channel, envelope)
                except asyncio.CancelledError:
                    raise
                except Exception as error:  # noqa: BLE001 - any failure: wait and try again
                    if attempt == 1:
                        continue  # a pooled connection from before a Redis restart fails once: at once again
                    self._lost(error)
                    await asyncio.sleep(self.retry_seconds)
                    continue
                self._dropping = False
                break

    async def _listen(self) -> None:
        """Subscribe, hand every message of another process to the handler; subscribe again when
        Redis went away."""
        assert self._subscriber is not None
        while True:
            pubsub = self._subscriber.pubsub()
            try:
                await pubsub.subscribe(self.channel)
                while True:
                    message = await pubsub.get_message(timeout=self.retry_seconds)
                    if message is None:
                        continue
                    if message["type"] == "subscribe":
                        self.subscribed.set()
                        self._back()
                    elif message["type"] == "message":
                        await self._receive(message["data"])
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - any failure: subscribe again after a pause
                self._lost(error)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.close()
            await asyncio.sleep(self.retry_seconds)

    async def _receive(self, data: bytes | str) -> None:
        try:
            message = json.loads(data)
        except ValueError:
            log.warning("bus: a message that is not JSON was skipped")
            return
        if not isinstance(message, dict) or message.pop("origin", None) == self.origin:
            return
        if self._handler is None:
            return
        try:
            await self._handler(message)
        except Exception:  # noqa: BLE001 - one bad message must not end the subscription
            log.exception("bus: a message from another gateway could not be handled")


def from_url(url: str | None) -> LocalBus | RedisBus:
    """The bus for `REDIS_URL`: Redis when it is set, else the one-process bus."""
    return RedisBus(url) if url else LocalBus()
