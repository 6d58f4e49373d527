"""What the router needs from a channel (web chat, Telegram): a way to deliver messages.

Messages are Rasa-style dicts as the REST channel returns them: {"text": ..., "buttons": [{"title",
"payload"}], "image": url, "custom": {...}}, plus {"from": "expert"} on messages an expert typed,
and {"typing": true} as a hint that an answer is on its way.
"""

from __future__ import annotations

from typing import Protocol


class Channel(Protocol):
    name: str  # "web", "telegram": the first part of a conversation's key

    async def deliver(self, address: str, messages: list[dict]) -> None:
        """Send `messages` to the user at `address` (a web session id, a Telegram chat id)."""

    async def typing(self, address: str) -> None:
        """Show that the assistant is busy (typing indicator / chat action)."""
