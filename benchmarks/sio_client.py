"""A minimal Socket.IO v5 client over a real WebSocket (Engine.IO v4), for the gateway benchmark.

python-socketio's own client needs aiohttp >= 3.10 for its websocket transport, and Rasa 3.6 pins
aiohttp 3.9.5, so it can only long-poll here. This client speaks the few packets the web chat uses
over the `websockets` package instead: Engine.IO open "0{...}", ping "2" answered with pong "3",
message "4" carrying Socket.IO connect "0", disconnect "1" and events "2[name, ...args]". No binary
packets, no acknowledgements, the default namespace only unless given.

Every received event is stamped with `time.perf_counter()` in the reader task, so a latency is the
moment the frame arrived, not the moment a busy benchmark got round to looking at it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import websockets
from websockets.exceptions import ConnectionClosed

# Engine.IO v4 packet types (the first character of every text frame).
OPEN, CLOSE, PING, PONG, MESSAGE, UPGRADE, NOOP = "0123456"
# Socket.IO v5 packet types (the first character after an Engine.IO MESSAGE).
CONNECT, DISCONNECT, EVENT, ACK, CONNECT_ERROR, BINARY_EVENT, BINARY_ACK = "0123456"


class ProtocolError(ValueError):
    """A packet this client does not understand (or the server refused the connection)."""


@dataclass(frozen=True)
class Packet:
    engine: str  # Engine.IO type
    kind: str | None = None  # Socket.IO type, for MESSAGE packets only
    namespace: str = "/"
    ack: int | None = None
    data: Any = None


@dataclass(frozen=True)
class Event:
    name: str
    args: list
    received_at: float  # time.perf_counter() when the frame arrived


def _sio(kind: str, namespace: str, data: Any = None, ack: int | None = None) -> str:
    packet = MESSAGE + kind
    if namespace != "/":
        packet += namespace + ","
    if ack is not None:
        packet += str(ack)
    if data is not None:
        packet += json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return packet


def encode_connect(namespace: str = "/", auth: dict | None = None) -> str:
    """The Socket.IO CONNECT packet, inside an Engine.IO MESSAGE: "40" for the default namespace."""
    return _sio(CONNECT, namespace, auth)


def encode_disconnect(namespace: str = "/") -> str:
    return _sio(DISCONNECT, namespace)


def encode_event(name: str, *args: Any, namespace: str = "/", ack: int | None = None) -> str:
    """An event: '42["user_uttered",{"message":"hoi"}]'."""
    if not name:
        raise ValueError("an event needs a name")
    return _sio(EVENT, namespace, [name, *args], ack)


def decode(frame: str | bytes) -> Packet:
    """One Engine.IO text frame (and the Socket.IO packet in it, if any)."""
    if isinstance(frame, bytes):
        raise ProtocolError("binary frames are not supported")
    if not frame:
        raise ProtocolError("empty frame")
    engine, rest = frame[0], frame[1:]
    if engine not in "0123456":
        raise ProtocolError(f"unknown Engine.IO packet type {engine!r}")
    if engine == OPEN:
        return Packet(engine, data=json.loads(rest))
    if engine != MESSAGE:
        return Packet(engine, data=rest or None)
    if not rest or rest[0] not in "0123456":
        raise ProtocolError(f"unknown Socket.IO packet {rest[:10]!r}")
    kind, position = rest[0], 1
    if kind in (BINARY_EVENT, BINARY_ACK):
        raise ProtocolError("binary Socket.IO packets are not supported")
    namespace = "/"
    if rest[position:position + 1] == "/":
        end = rest.find(",", position)
        namespace, position = (rest[position:], len(rest)) if end < 0 else (rest[position:end], end + 1)
    digits = position
    while digits < len(rest) and rest[digits].isdigit():
        digits += 1
    ack = int(rest[position:digits]) if digits > position else None
    payload = rest[digits:]
    data = json.loads(payload) if payload else None
    if kind in (EVENT, ACK) and not isinstance(data, list):
        raise ProtocolError("an event carries a JSON array")
    return Packet(engine, kind, namespace, ack, data)


def websocket_url(base: str, path: str = "socket.io") -> str:
    """http://host:port -> ws://host:port/socket.io/?EIO=4&transport=websocket (straight to WebSocket)."""
    parts = urlsplit(base)
    scheme = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}[parts.scheme]
    return urlunsplit((scheme, parts.netloc, f"/{path.strip('/')}/", "EIO=4&transport=websocket", ""))


class SocketIOClient:
    """One browser tab's worth of web chat: connect, emit events, read the server's events in order."""

    def __init__(self) -> None:
        self.events: asyncio.Queue[Event | None] = asyncio.Queue()  # None: the connection ended
        self.sid: str | None = None
        self.error: Exception | None = None
        self._ws: websockets.WebSocketClientProtocol | None = None
        self._reader: asyncio.Task | None = None

    async def connect(self, base_url: str, *, timeout: float = 30) -> None:
        self._ws = await asyncio.wait_for(
            websockets.connect(websocket_url(base_url), ping_interval=None, max_size=2**20), timeout)
        opened = decode(await asyncio.wait_for(self._ws.recv(), timeout))
        if opened.engine != OPEN:
            raise ProtocolError(f"expected the Engine.IO open packet, got {opened}")
        await self._ws.send(encode_connect())
        while True:  # the server may ping before it confirms
            packet = decode(await asyncio.wait_for(self._ws.recv(), timeout))
            if packet.engine == PING:
                await self._ws.send(PONG)
            elif packet.kind == CONNECT:
                self.sid = (packet.data or {}).get("sid")
                break
            elif packet.kind == CONNECT_ERROR:
                raise ProtocolError(f"connection refused: {packet.data}")
        self._reader = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        assert self._ws is not None
        try:
            async for frame in self._ws:
                received = time.perf_counter()
                packet = decode(frame)
                if packet.engine == PING:
                    await self._ws.send(PONG)
                elif packet.engine == CLOSE or packet.kind == DISCONNECT:
                    break
                elif packet.kind == EVENT and packet.data:
                    self.events.put_nowait(Event(packet.data[0], packet.data[1:], received))
        except (ConnectionClosed, ValueError) as error:  # ValueError: also a frame we cannot decode
            self.error = error  # whoever waits for an event hears of it through the None below
        finally:
            self.events.put_nowait(None)

    @property
    def open(self) -> bool:
        """Connected, and the connection has not ended."""
        return self._reader is not None and not self._reader.done()

    async def emit(self, name: str, *args: Any) -> None:
        if self._ws is None:
            raise ProtocolError("not connected")
        await self._ws.send(encode_event(name, *args))

    async def next_event(self, timeout: float) -> Event:
        """The next event from the server; ConnectionError once the connection has ended."""
        event = await asyncio.wait_for(self.events.get(), timeout)
        if event is None:
            self.events.put_nowait(None)  # stays closed for later callers
            raise ConnectionError(f"the connection ended: {self.error!r}")
        return event

    def pending(self) -> list[Event]:
        """The events received but not read yet, without waiting (and without taking them)."""
        return [event for event in self.events._queue if event is not None]  # type: ignore[attr-defined]

    async def wait_for(self, name: str, timeout: float) -> Event:
        """Skip other events until one called `name` arrives."""
        deadline = time.perf_counter() + timeout
        while True:
            event = await self.next_event(max(0.0, deadline - time.perf_counter()))
            if event.name == name:
                return event

    async def close(self) -> None:
        if self._ws is not None:
            with contextlib.suppress(ConnectionClosed, OSError):
                await self._ws.send(encode_disconnect())
                await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        self._ws = self._reader = None
