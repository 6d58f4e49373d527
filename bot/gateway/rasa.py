"""The gateway's asynchronous client for Rasa: the REST channel, and the HTTP API (with a token)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from urllib.parse import quote

import httpx


@dataclass
class AsyncRasa:
    url: str
    token: str | None = None
    timeout: float = 30.0
    # Rasa answers a few messages at a time; letting hundreds wait inside httpx's pool makes the pool
    # itself the bottleneck (measured: 4x the gateway's CPU per message, slower answers). Wait here.
    concurrency: int = 16
    _slots: asyncio.Semaphore | None = field(default=None, init=False, repr=False)
    _client: httpx.AsyncClient | None = field(default=None, init=False, repr=False)

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            # One connection pool for all conversations; Rasa runs on this machine or nearby.
            self._client = httpx.AsyncClient(base_url=self.url, timeout=self.timeout,
                                             limits=httpx.Limits(max_connections=64))
        return self._client

    async def send(self, sender: str, text: str, metadata: dict | None = None) -> list[dict]:
        """A user message through the REST channel; the bot's replies (text, buttons, custom, image).

        `metadata` lands on the user event (Rasa's REST channel passes it on)."""
        body = {"sender": sender, "message": text, **({"metadata": metadata} if metadata else {})}
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.concurrency)
        async with self._slots:
            response = await self._http().post("/webhooks/rest/webhook",
                                               json=body)
        response.raise_for_status()
        return response.json() or []

    async def execute(self, sender: str, action: str) -> list[dict]:
        """Run an action in a conversation (HTTP API); returns the messages it sent."""
        response = await self._http().post(
            f"/conversations/{quote(sender, safe='')}/execute",
            params={"token": self.token}, json={"name": action},
        )
        response.raise_for_status()
        return response.json().get("messages", [])

    async def parse(self, text: str) -> dict:
        """What the NLU makes of a text, without touching any conversation (HTTP API)."""
        response = await self._http().post("/model/parse", params={"token": self.token}, json={"text": text})
        response.raise_for_status()
        return response.json()

    async def tracker(self, sender: str) -> dict:
        response = await self._http().get(f"/conversations/{quote(sender, safe='')}/tracker",
                                          params={"token": self.token})
        response.raise_for_status()
        return response.json()

    async def status(self, timeout: float = 2.0) -> None:
        """Whether Rasa answers (for /ready): its /status with the token, or / without one; raises if not."""
        path, params = ("/status", {"token": self.token}) if self.token else ("/", None)
        response = await self._http().get(path, params=params, timeout=timeout)
        response.raise_for_status()

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
