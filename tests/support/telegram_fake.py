"""A small fake Telegram Bot API server for end-to-end tests of the Telegram channel.

It answers what python-telegram-bot calls (getMe, deleteWebhook, getUpdates with long polling,
sendMessage, sendChatAction, answerCallbackQuery, editMessageReplyMarkup, setMyCommands, ...), records
every call, and lets a test push updates as a user would cause them. Point the bot at `base_url`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TOKEN = "123456:TEST-token"
BOT_USER = {"id": 123456, "is_bot": True, "first_name": "Scheidingspunt", "username": "ScheidingspuntBot"}
# python-telegram-bot sends a form where these values are JSON; all others are plain strings.
JSON_PARAMS = {"reply_markup", "commands", "allowed_updates", "scope", "entities",
               "link_preview_options", "reply_parameters"}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    result: Any = None


@dataclass
class FakeTelegram:
    token: str = TOKEN
    max_poll_wait: float = 0.5  # a getUpdates call waits at most this long for news
    calls: list[Call] = field(default_factory=list)
    blocked: set[int] = field(default_factory=set)  # chats that blocked the bot: calls get 403
    refused: list[str] = field(default_factory=list)  # methods refused that way
    _updates: list[dict] = field(default_factory=list)
    _update_ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _message_ids: itertools.count = field(default_factory=lambda: itertools.count(1000))
    _news: asyncio.Condition | None = None
    _runner: web.AppRunner | None = None
    port: int = 0

    # -- server ------------------------------------------------------------------------------------

    async def start(self) -> FakeTelegram:
        self._news = asyncio.Condition()
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        app.router.add_get("/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"},
                                     status=401)
        method = request.match_info["method"]
        try:
            params = await _params(request)
        except ConnectionResetError:  # the bot gave up on the call (a long poll cancelled at stop)
            return web.Response(status=499)
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"},
                                     status=404)
        if params.get("chat_id") and int(params["chat_id"]) in self.blocked:
            self.refused.append(method)
            return web.json_response(
                {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"},
                status=403)
        result = await handler(params)
        if method != "getUpdates":  # polling would flood the record
            await self._record(Call(method, params, result))
        return web.json_response({"ok": True, "result": result})

    async def _record(self, call: Call) -> None:
        assert self._news is not None
        async with self._news:
            self.calls.append(call)
            self._news.notify_all()

    # -- the Bot API methods -----------------------------------------------------------------------

    async def _api_getMe(self, params: dict) -> dict:
        return BOT_USER

    async def _api_deleteWebhook(self, params: dict) -> bool:
        return True

    async def _api_setWebhook(self, params: dict) -> bool:
        return True

    async def _api_setMyCommands(self, params: dict) -> bool:
        return True

    async def _api_sendChatAction(self, params: dict) -> bool:
        return True

    async def _api_answerCallbackQuery(self, params: dict) -> bool:
        return True

    async def _api_close(self, params: dict) -> bool:
        return True

    async def _api_logOut(self, params: dict) -> bool:
        return True

    async def _api_getUpdates(self, params: dict) -> list[dict]:
        """Telegram's semantics: updates below `offset` are confirmed and dropped; wait for news."""
        assert self._news is not None
        offset = int(params.get("offset") or 0)
        timeout = min(float(params.get("timeout") or 0), self.max_poll_wait)
        async with self._news:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            if not self._updates and timeout > 0:
                try:
                    await asyncio.wait_for(self._news.wait_for(lambda: bool(self._updates)), timeout)
                except asyncio.TimeoutError:
                    pass
            return list(self._updates)

    async def _api_sendMessage(self, params: dict) -> dict:
        return self._message(params["chat_id"], text=params["text"], reply_markup=params.get("reply_markup"))

    async def _api_editMessageReplyMarkup(self, params: dict) -> dict:
        message = self._message(params["chat_id"], text="...", reply_markup=params.get("reply_markup"))
        message["message_id"] = int(params["message_id"])
        return message

    def _message(self, chat_id: Any, **fields: Any) -> dict:
        message = {"message_id": next(self._message_ids), "date": int(time.time()), "from": BOT_USER,
                   "chat": {"id": int(chat_id), "type": "private"}}
        return message | {k: v for k, v in fields.items() if v is not None}

    # -- what a test reads -------------------------------------------------------------------------

    def calls_to(self, method: str) -> list[dict]:
        return [call.params for call in self.calls if call.method == method]

    def sent_texts(self, chat_id: int | None = None) -> list[str]:
        return [p["text"] for p in self.calls_to("sendMessage")
                if chat_id is None or int(p["chat_id"]) == chat_id]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 5) -> list[dict]:
        """The params of the first `count` calls to `method`, once they have been made."""
        assert self._news is not None
        async with self._news:
            await asyncio.wait_for(
                self._news.wait_for(lambda: len(self.calls_to(method)) >= count), timeout)
        return self.calls_to(method)[:count]

    # -- what a user does --------------------------------------------------------------------------

    async def push(self, kind: str, payload: dict) -> int:
        """Queue an update of `kind` ("message", "callback_query", ...); returns its update_id."""
        assert self._news is not None
        update_id = next(self._update_ids)
        async with self._news:
            self._updates.append({"update_id": update_id, kind: payload})
            self._news.notify_all()
        return update_id

    def user_message(self, chat_id: int, **content: Any) -> dict:
        user = {"id": chat_id, "is_bot": False, "first_name": "Ouder"}
        return {"message_id": next(self._message_ids), "date": int(time.time()), "from": user,
                "chat": {"id": chat_id, "type": "private", "first_name": "Ouder"}, **content}

    async def push_text(self, chat_id: int, text: str) -> int:
        return await self.push("message", self.user_message(chat_id, text=text))

    async def push_command(self, chat_id: int, command: str) -> int:
        """`command` as typed, e.g. "/start"; marked as a bot command like Telegram does."""
        length = len(command.split()[0])
        entities = [{"type": "bot_command", "offset": 0, "length": length}]
        return await self.push("message", self.user_message(chat_id, text=command, entities=entities))

    async def push_callback(self, chat_id: int, data: str, message_id: int) -> str:
        """A press on a button with `data` under bot message `message_id`; returns the query id."""
        query_id = f"q{next(self._update_ids)}"
        message = self._message(chat_id, text="...")
        message["message_id"] = message_id
        user = {"id": chat_id, "is_bot": False, "first_name": "Ouder"}
        await self.push("callback_query", {"id": query_id, "from": user, "chat_instance": "ci",
                                           "data": data, "message": message})
        return query_id

    async def push_photo(self, chat_id: int) -> int:
        photo = [{"file_id": "p1", "file_unique_id": "up1", "width": 90, "height": 90, "file_size": 900}]
        return await self.push("message", self.user_message(chat_id, photo=photo, caption="kijk"))

    async def push_voice(self, chat_id: int) -> int:
        voice = {"file_id": "v1", "file_unique_id": "uv1", "duration": 3, "mime_type": "audio/ogg"}
        return await self.push("message", self.user_message(chat_id, voice=voice))

    async def push_sticker(self, chat_id: int) -> int:
        sticker = {"file_id": "s1", "file_unique_id": "us1", "type": "regular", "width": 512,
                   "height": 512, "is_animated": False, "is_video": False, "emoji": "👍"}
        return await self.push("message", self.user_message(chat_id, sticker=sticker))

    async def push_document(self, chat_id: int) -> int:
        document = {"file_id": "d1", "file_unique_id": "ud1", "file_name": "brief.pdf"}
        return await self.push("message", self.user_message(chat_id, document=document))

    async def push_location(self, chat_id: int) -> int:
        location = {"latitude": 52.44, "longitude": 6.62}
        return await self.push("message", self.user_message(chat_id, location=location))


async def _params(request: web.Request) -> dict[str, Any]:
    """A call's parameters from a JSON body, a form (python-telegram-bot) or the query string."""
    params: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        params |= await request.json()
    elif request.can_read_body:
        form = await request.post()
        params |= {k: json.loads(v) if k in JSON_PARAMS else v for k, v in form.items()
                   if isinstance(v, str)}
    return params
