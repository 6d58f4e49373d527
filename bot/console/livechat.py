"""What the console needs of the live chat, and nothing more: the `LiveChat` interface.

The gateway's router satisfies it (bot/gateway/app.py passes the router in when it mounts the
console); the console never imports the gateway or talks to Rasa itself. Status changes of a
hand-over are the store's (bot/store/handoffs.py); a `LiveChat` tells the parent and the listeners.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, runtime_checkable

from aiohttp import web

LIVE_CHAT_KEY = "live_chat"  # where the console application keeps it

# A live event: (conversation id, {"type": "queued" | "taken" | "message" | ..., "handoff_id": ...}).
Listener = Callable[[str, dict], Awaitable[None]]


@runtime_checkable
class LiveChat(Protocol):
    max_message_chars: int  # the longest message an expert may send

    async def transcript_events(self, conversation_id: str) -> list[dict] | None:
        """The conversation's history before the live chat (Rasa's tracker events); None if unknown."""

    async def expert_took(self, conversation_id: str) -> bool:
        """The store made an expert the taker: tell the parent. False when the parent left meanwhile."""

    async def from_expert(self, conversation_id: str, text: str) -> bool:
        """Send an expert's message to the parent; False when the conversation is no longer live."""

    async def hand_back(self, conversation_id: str) -> bool:
        """Give the conversation back to the bot; False when it was no longer with an expert."""

    async def close_by_expert(self, conversation_id: str) -> bool:
        """End the live chat; the parent goes on with the bot. False when it was no longer live."""

    def subscribe(self, listener: Listener) -> None:
        """Hear every live event from now on (once per listener)."""


def live_chat(request: web.Request) -> LiveChat:
    """The live chat the console was mounted with."""
    return request.config_dict[LIVE_CHAT_KEY]
