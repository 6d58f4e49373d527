"""A custom action run without a model, as the action server runs it: Tracker.from_dict with the given
events, and a CollectingDispatcher."""

from __future__ import annotations

import asyncio

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher


def user(intent: str, text: str = "...", entities: list | None = None) -> dict:
    return {
        "event": "user",
        "text": text,
        "parse_data": {"intent": {"name": intent, "confidence": 0.9}, "entities": entities or []},
    }


def bot(text: str = "...") -> dict:
    return {"event": "bot", "text": text}


def tracker(events: list[dict], slots: dict | None = None) -> Tracker:
    latest = next((e for e in reversed(events) if e["event"] == "user"), {"parse_data": {}})
    return Tracker.from_dict({
        "sender_id": "test",
        "slots": slots or {},
        "latest_message": {**latest.get("parse_data", {}), "text": latest.get("text")},
        "events": events,
        "paused": False,
        "followup_action": None,
        "active_loop": {},
        "latest_action_name": "action_listen",
    })


def run(action, events, slots=None):
    dispatcher = CollectingDispatcher()
    result = asyncio.run(action.run(dispatcher, tracker(events, slots), {}))
    return dispatcher.messages, result


def said(text: str = "", intent: str = "inform", slots: dict | None = None, events: list | None = None,
         sender: str = "test", requested: str | None = None) -> Tracker:
    """A tracker whose latest message is `text` (heard as `intent`): what a form's validation sees.
    With `requested`, the form is asking for that slot."""
    if requested is not None:
        slots = {**(slots or {}), "requested_slot": requested}
    return Tracker.from_dict({
        "sender_id": sender, "slots": slots or {},
        "latest_message": {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": []},
        "events": events or [], "paused": False, "followup_action": None,
        "active_loop": {}, "latest_action_name": "action_listen",
    })


def dispatched(action, track: Tracker) -> tuple[CollectingDispatcher, list[dict]]:
    """Run `action` on `track`: its dispatcher (what the parent is told) and the events it returned."""
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, track, {}))
    return dispatcher, events
