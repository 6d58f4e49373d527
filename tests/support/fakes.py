"""Stand-ins for what the gateway's router talks to: Rasa (scripted replies) and a channel (records
deliveries)."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from bot.store import handoffs
from bot.store.db import session_scope
from language import safety

SECRET = "test-secret"


def handoff_replies(municipality: str = "twenterand") -> Callable[[str, str], list[dict]]:
    """Replies for FakeRasa where "ik wil een mens" does what action_handoff does: store a request for
    `municipality` and tell the gateway with the custom handoff message."""
    def replies(sender: str, text: str) -> list[dict]:
        if text != "ik wil een mens":
            return [{"text": f"antwoord op {text}"}]
        with session_scope() as session:
            request = handoffs.request(session, conversation_id=sender, municipality=municipality, topic=None,
                                       reason="op verzoek", screening_level=None, screening_domains=[])
            handoff_id = request.id
        return [{"text": "Ik zet je door naar een medewerker."},
                {"custom": {"handoff": {"id": handoff_id, "reason": "op verzoek"}}}]
    return replies


class FakeRasa:
    """Scripted replies; records what reached Rasa."""

    def __init__(self, replies=None, fail: bool = False) -> None:
        self.replies = replies or (lambda sender, text: [{"text": f"antwoord op {text}"}])
        self.fail = fail
        self.sent: list[tuple[str, str]] = []
        self.metadata: list[dict | None] = []
        self.executed: list[tuple[str, str]] = []
        self.trackers: dict[str, list[dict]] = {}
        self.intents: dict[str, str] = {}
        self.parsed: list[str] = []

    async def send(self, sender: str, text: str, metadata: dict | None = None) -> list[dict]:
        if self.fail:
            raise httpx.ConnectError("Rasa is down")
        self.sent.append((sender, text))
        self.metadata.append(metadata)
        return self.replies(sender, text)

    async def execute(self, sender: str, action: str) -> list[dict]:
        self.executed.append((sender, action))
        return [{"text": f"uitgevoerd: {action}"}]

    async def parse(self, text: str) -> dict:
        """The NLU's intent: scripted in `intents`, else what the safety patterns say."""
        if self.fail:
            raise httpx.ConnectError("Rasa is down")
        self.parsed.append(text)
        intent = self.intents.get(text) or safety.load().detect(text) or "faq"
        return {"text": text, "intent": {"name": intent, "confidence": 1.0}}

    async def status(self, timeout: float = 2.0) -> None:
        """Rasa answers (the gateway's /ready), unless it is down."""
        if self.fail:
            raise httpx.ConnectError("Rasa is down")

    async def tracker(self, sender: str) -> dict:
        """The tracker as Rasa's HTTP API returns it; tests put events in `trackers`."""
        if self.fail:
            raise httpx.ConnectError("Rasa is down")
        return {"sender_id": sender, "events": list(self.trackers.get(sender, []))}


class FakeChannel:
    name = "web"

    def __init__(self) -> None:
        self.delivered: list[tuple[str, dict]] = []
        self.typed: list[str] = []

    async def deliver(self, address: str, messages: list[dict]) -> None:
        self.delivered += [(address, m) for m in messages]

    async def typing(self, address: str) -> None:
        self.typed.append(address)

    def texts(self) -> list[str]:
        return [m.get("text", "") for _, m in self.delivered]
