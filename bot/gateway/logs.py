"""The gateway's log lines (and the console's, which runs in the gateway's process): one line per record,
as a JSON object (`LOG_FORMAT=json`, the default) or as key=value pairs (`LOG_FORMAT=text`).

Every line has `time` (UTC, ISO 8601), `level`, `logger` and `event` (the log call's message), and may
have safe fields: numbers and booleans given with `extra=`, and for an exception its type (`error`) and
where it was raised (`where`, file:line) — never the exception's message or a traceback, which can quote
what a parent wrote or a URL with Rasa's token. The log calls themselves never pass message text, a
phone number or an e-mail address (tests/test_operating.py reads them all); as a last net, `event` and
string fields are redacted (bot/domain/redact.py) and a `token=` value is masked.

The access log names the route (`/console/gesprek/{handoff_id}`, not the id), the method, the status
and the milliseconds: no client address, no query string, no user agent.

`configure()` is called once, by `python -m bot.gateway`.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from datetime import datetime, timezone
from typing import Any, TextIO

from aiohttp.abc import AbstractAccessLogger

from bot.domain.redact import redact

FORMATS = ("json", "text")
_TOKEN = re.compile(r"(token=)[^&\s\"']+", re.IGNORECASE)
_BOT_TOKEN = re.compile(r"(/bot)\d+:[\w-]+")  # Telegram's Bot API puts the bot's token in the path
# httpx logs every request's URL at INFO: Rasa's with the token and a conversation id, Telegram's with the
# bot token. Only their warnings reach the log.
QUIET = ("httpx", "httpcore", "telegram", "apscheduler")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
# What every LogRecord has; anything else on a record came from `extra=`.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


def clean(value: str) -> str:
    """Personal numbers and e-mail addresses masked, a token's value hidden."""
    return _BOT_TOKEN.sub(r"\1***", _TOKEN.sub(r"\1***", redact(_EMAIL.sub("[e-mailadres]", value))))


def fields(record: logging.LogRecord) -> dict[str, Any]:
    """The record as the safe fields of one line."""
    out: dict[str, Any] = {
        "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
        "level": record.levelname.lower(),
        "logger": record.name,
        "event": clean(record.getMessage()),
    }
    for key, value in vars(record).items():
        if key in _STANDARD or key.startswith("_"):
            continue
        if isinstance(value, (bool, int, float)) or value is None:
            out[key] = value
        elif isinstance(value, str):
            out[key] = clean(value)[:200]
    if record.exc_info and record.exc_info[0] is not None:
        error, traceback = record.exc_info[0], record.exc_info[2]
        out["error"] = error.__name__
        while traceback is not None and traceback.tb_next is not None:
            traceback = traceback.tb_next
        if traceback is not None:
            code = traceback.tb_frame.f_code
            out["where"] = f"{os.path.relpath(code.co_filename)}:{traceback.tb_lineno}"
    return out


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(fields(record), ensure_ascii=False, default=str)


def _text_value(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if isinstance(value, str) else json.dumps(value)
    return text if isinstance(value, str) and (" " in value or "=" in value or not value) else text.strip('"')


class TextFormatter(logging.Formatter):
    """key=value pairs, values with a space quoted: `time=... level=info logger=... event="..."`."""

    def format(self, record: logging.LogRecord) -> str:
        return " ".join(f"{key}={_text_value(value)}" for key, value in fields(record).items())


def configure(log_format: str | None = None, *, level: int = logging.INFO,
              stream: TextIO | None = None) -> logging.Handler:
    """One handler on the root logger, in `log_format` (default: LOG_FORMAT, else json)."""
    chosen = (log_format or os.environ.get("LOG_FORMAT") or "json").strip().lower()
    if chosen not in FORMATS:
        raise SystemExit(f"LOG_FORMAT must be one of {', '.join(FORMATS)}, not {chosen!r}")
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if chosen == "json" else TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in QUIET:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
    return handler


class AccessLogger(AbstractAccessLogger):
    """One line per HTTP request: route, method, status, milliseconds. Nothing about the caller."""

    def log(self, request, response, time: float) -> None:
        route = None
        match_info = getattr(request, "match_info", None)
        resource = getattr(getattr(match_info, "route", None), "resource", None)
        if resource is not None:
            route = resource.canonical
        self.logger.info("request", extra={"route": route or "(unmatched)", "method": request.method,
                                           "status": response.status, "ms": round(time * 1000, 1)})
