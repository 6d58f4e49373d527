"""A scripted stand-in for Rasa's HTTP API, for the widget's layout and greeting tests.

The real assistant answers from its trained model, so its texts and buttons change with every training.
This one always answers the same, with texts taken from the project's own files: "/greet" gets the
text of `utter_greet` (domain.yml) with the greeting's four first steps as buttons, any other message
gets the FAQ answer on how child support is calculated (80 words) with the quick replies of
`utter_out_of_scope`. It keeps every message it was sent, so a test can count the hidden "/greet"s a
page sent.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from pathlib import Path

import yaml
from aiohttp import web

REPO = Path(__file__).resolve().parents[2]
GREET = "/greet"
# The greeting's buttons (the issue; utter_greet in domain.yml): the first steps without typing.
GREETING_BUTTONS = {"Veelgestelde vragen": "/help", "Doe de check": "/start_screening",
                    "Welke regelingen passen bij mij?": "/check_schemes", "Praat met een mens": "/request_human"}


def _responses(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["responses"]


def _message(response: dict) -> dict:
    """A domain response as Rasa's REST channel sends it: text, and buttons when it has them."""
    message = {"text": " ".join(response["text"].split())}
    if response.get("buttons"):
        message["buttons"] = [{"title": b["title"], "payload": b["payload"]} for b in response["buttons"]]
    return message


DOMAIN = _responses(REPO / "domain.yml")
GREETING = {
    "text": _message(DOMAIN["utter_greet"][0])["text"],
    "buttons": [{"title": title, "payload": payload} for title, payload in GREETING_BUTTONS.items()],
}
ANSWER = {
    **_message(_responses(REPO / "data" / "nlu" / "faq_kinderalimentatie.yml")
               ["utter_faq/kinderalimentatie_berekening"][0]),
    "buttons": _message(DOMAIN["utter_out_of_scope"][0])["buttons"],
}
ERASED = _message(DOMAIN["utter_conversation_deleted"][0])


@dataclass(frozen=True)
class Received:
    sender: str
    message: str


class ScriptedRasa:
    """The few routes of Rasa the gateway calls, on their own event loop in a background thread."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="scripted-rasa", daemon=True)

    def messages(self, text: str | None = None) -> list[Received]:
        """What the gateway sent so far (only `text`, when given)."""
        with self._lock:
            return [r for r in self.received if text is None or r.message == text]

    async def _webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        with self._lock:
            self.received.append(Received(str(body.get("sender")), str(body.get("message"))))
        return web.json_response([GREETING if body.get("message") == GREET else ANSWER])

    async def _execute(self, request: web.Request) -> web.Response:
        action = (await request.json()).get("name")
        messages = [ERASED] if action == "action_delete_conversation" else []
        return web.json_response({"messages": messages})

    async def _parse(self, request: web.Request) -> web.Response:
        return web.json_response({"intent": {"name": "faq", "confidence": 1.0}})

    async def _tracker(self, request: web.Request) -> web.Response:
        return web.json_response({"sender_id": request.match_info["sender"], "events": []})

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.router.add_post("/webhooks/rest/webhook", self._webhook)
        app.router.add_post("/conversations/{sender}/execute", self._execute)
        app.router.add_get("/conversations/{sender}/tracker", self._tracker)
        app.router.add_post("/model/parse", self._parse)
        runner = web.AppRunner(app)
        self._loop.run_until_complete(runner.setup())
        self._loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", self.port).start())
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(runner.cleanup())
        self._loop.close()

    def start(self) -> None:
        self._thread.start()
        if not self._ready.wait(30):
            raise RuntimeError("the scripted Rasa did not start")

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(15)
