"""A small client for Rasa's REST channel and HTTP API."""

from __future__ import annotations

import json
import urllib.request
from dataclasses import dataclass


@dataclass
class RasaClient:
    url: str
    token: str | None = None
    timeout: float = 60

    def _call(self, path: str, payload: dict | None = None) -> object:
        data = json.dumps(payload).encode() if payload is not None else None
        request = urllib.request.Request(
            self.url + path, data=data, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            return json.loads(response.read().decode() or "null")

    def send(self, sender: str, text: str, metadata: dict | None = None) -> list[dict]:
        """Send a user message; returns the bot's messages (text, buttons, custom). `metadata` goes on
        the user event, as the web chat's customData does (the site's municipality)."""
        body = {"sender": sender, "message": text, **({"metadata": metadata} if metadata else {})}
        return self._call("/webhooks/rest/webhook", body)

    def tracker(self, sender: str) -> dict:
        return self._call(f"/conversations/{sender}/tracker?token={self.token}")

    def parse(self, text: str) -> dict:
        return self._call(f"/model/parse?token={self.token}", {"text": text})
