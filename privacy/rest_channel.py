"""Rasa's REST channel with its input checked: a request Rasa cannot handle gets a 400 before it reaches
the pipeline or the tracker store, never a 500, a silent empty answer or an ended server.

Named in credentials.yml; the URL stays /webhooks/rest/webhook. Rasa's own channel takes any JSON: a
body that is not an object fails with a 500, a missing sender joins the shared conversation "default",
a message that is not a string fails inside the pipeline and Rasa's error log then quotes it, and a
sender id with an unpaired surrogate used to end the server (see PrivateSQLTrackerStore.session_scope).
"""

from __future__ import annotations

import unicodedata
from typing import Any

from rasa.core.channels.rest import RestInput
from sanic.exceptions import InvalidUsage
from sanic.request import Request

from privacy import rasa_logs
from privacy.tracker_store import sender_id_problem

rasa_logs.install()  # Rasa's error line for a failed message would quote the message

# The gateway sends at most 2,000 characters (bot/gateway/router.py); room for other REST clients.
MAX_MESSAGE_CHARS = 10_000
MAX_INPUT_CHANNEL_CHARS = 64
REPLACEMENT = "\ufffd"


def _body(request: Request) -> dict[str, Any]:
    body = request.json  # malformed JSON: Sanic's own 400
    if not isinstance(body, dict):
        raise InvalidUsage("The body must be a JSON object with 'sender' and 'message'.")
    return body


def readable(text: str) -> str:
    """Unpaired surrogates (half an emoji) become U+FFFD, as the gateway's clean() does: the pipeline
    cannot encode them."""
    if not any(unicodedata.category(ch) == "Cs" for ch in text):
        return text
    return "".join(REPLACEMENT if unicodedata.category(ch) == "Cs" else ch for ch in text)


class CheckedRestInput(RestInput):
    @classmethod
    def name(cls) -> str:
        return "rest"

    async def _extract_sender(self, req: Request) -> str:
        sender = _body(req).get("sender")
        problem = sender_id_problem(sender)
        if problem:
            raise InvalidUsage(problem)
        return sender

    def _extract_message(self, req: Request) -> str:
        message = _body(req).get("message")
        if not isinstance(message, str):
            raise InvalidUsage("The message must be a string.")
        if len(message) > MAX_MESSAGE_CHARS:
            raise InvalidUsage(f"The message is longer than {MAX_MESSAGE_CHARS} characters.")
        return readable(message)

    def _extract_input_channel(self, req: Request) -> str:
        channel = _body(req).get("input_channel")
        if channel is None:
            return self.name()
        if sender_id_problem(channel) or len(channel) > MAX_INPUT_CHANNEL_CHARS:
            raise InvalidUsage("The input_channel must be a short string.")
        return channel

    def get_metadata(self, request: Request) -> dict[str, Any] | None:
        metadata = _body(request).get("metadata")
        if metadata is not None and not isinstance(metadata, dict):
            raise InvalidUsage("The metadata must be a JSON object.")
        return metadata
