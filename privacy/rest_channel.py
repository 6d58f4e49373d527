"""Rasa's REST channel with its input checked: a request Rasa cannot handle gets a 400 before it reaches
the pipeline or the tracker store, never a 500, a silent empty answer or an ended server.

Named in credentials.yml; the URL stays /webhooks/rest/webhook. Rasa's own channel takes any JSON: a
body that is not an object fails with a 500, a missing sender joins the shared conversation "default",
a message that is not a string fails inside the pipeline and Rasa's error log then quotes it, and a
sender id with an unpaired surrogate used to end the server (see PrivateSQLTrackerStore.session_scope).

A custom action that fails (its action server died during the call, or a bug) is caught by Rasa's processor,
which logs it and goes on without the action's events: a form that never started, a question never asked.
The parent would see half an answer and the next message would be misunderstood. That log line is the
only sign, so the channel listens for it and adds ACTION_FAILED (bot/domain/names.py) to the message's
answer; the gateway says "probeer het nog eens" for it (bot/gateway/router.py).
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic.exceptions import InvalidUsage
from sanic.request import Request

from bot.domain.names import ACTION_FAILED, action_failed
from privacy import rasa_logs
from privacy.tracker_store import sender_id_problem

rasa_logs.install()  # Rasa's error line for a failed message would quote the message

# The gateway sends at most 2,000 characters (bot/gateway/router.py); room for other REST clients.
MAX_MESSAGE_CHARS = 10_000
MAX_INPUT_CHANNEL_CHARS = 64
REPLACEMENT = "\ufffd"

# Where Rasa 3.6 logs a custom action that failed (MessageProcessor._run_action).
PROCESSOR_LOGGER = "rasa.core.processor"
ACTION_FAILURE_LOG = "Encountered an exception while running action"
_handled: ContextVar[UserMessage | None] = ContextVar("handled_message", default=None)


class _ActionFailures(logging.Filter):
    """Marks the answer of the message being handled (this task's) when the processor logs a failed action."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = _handled.get()
        if message is not None and record.exc_info and str(record.msg).startswith(ACTION_FAILURE_LOG):
            answer = getattr(message.output_channel, "messages", None)
            if isinstance(answer, list) and not any(action_failed(m) for m in answer):
                answer.append({"recipient_id": message.sender_id, "custom": ACTION_FAILED})
        return True


def _watch_action_failures() -> None:
    logger = logging.getLogger(PROCESSOR_LOGGER)
    if not any(isinstance(f, _ActionFailures) for f in logger.filters):
        logger.addFilter(_ActionFailures())


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

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]):
        _watch_action_failures()

        async def watched(message: UserMessage) -> Any:
            token = _handled.set(message)
            try:
                return await on_new_message(message)
            finally:
                _handled.reset(token)

        return super().blueprint(watched)

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
