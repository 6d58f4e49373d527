"""The Telegram channel: python-telegram-bot's Application between Telegram and the router.

Long polling by default (works behind any firewall); a webhook when TELEGRAM_WEBHOOK_URL is set.
The chat id (as a string) is the conversation's address. Privacy: nothing here logs a message text,
and nothing logs a chat id next to a text.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import html
import json
import logging
import os
import secrets
from collections import Counter, OrderedDict
from collections.abc import Awaitable
from typing import Any, Protocol
from urllib.parse import urlsplit

from aiohttp import web
from telegram import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatAction, MessageLimit, ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.gateway.texts import texts
from bot.store.figures import OPENING_MESSAGE

logger = logging.getLogger(__name__)

CHANNEL = "telegram"
# What Telegram shows is in data/gateway_texts.yml (telegram:); the menu's descriptions too.
# The payloads are Rasa intents the bot already knows.
COMMAND_PAYLOADS = {"help": "/help", "mens": "/request_human", "verwijder": "/delete_conversation"}
START_PAYLOADS = (OPENING_MESSAGE,)  # the welcome with the first buttons (topics, check, schemes, a person)
MAX_TEXT = MessageLimit.MAX_TEXT_LENGTH  # 4096, counted in UTF-16 code units
MAX_CALLBACK_DATA = 64  # bytes
POLL_TIMEOUT = 10.0  # seconds a getUpdates call may wait for news
DEFAULT_WEBHOOK_PORT = 8443
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_UPDATE_BYTES = 1024 * 1024


class RouterLike(Protocol):
    async def from_user(self, channel: str, address: str, text: str) -> None: ...

    async def new_conversation(self, channel: str, address: str) -> None: ...


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _fitting_prefix(text: str, limit: int) -> int:
    """The number of characters of `text` that fit in `limit` UTF-16 units (emoji count double)."""
    n = min(len(text), limit)
    while _utf16_len(text[:n]) > limit:
        n -= max(1, (_utf16_len(text[:n]) - limit) // 2)
    return n


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Split `text` into parts of at most `limit` units: at a paragraph, line, sentence or word break
    in the second half of a part if there is one, else hard."""
    parts: list[str] = []
    rest = text.strip()
    while _utf16_len(rest) > limit:
        window = _fitting_prefix(rest, limit)
        cut = window
        for sep in ("\n\n", "\n", ". ", "! ", "? ", " "):
            kept = len(sep.rstrip())  # a sentence keeps its full stop; the whitespace goes
            at = rest.rfind(sep, 0, window + len(sep) - kept)
            if at >= window // 2:
                cut = at + kept
                break
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return parts


class ButtonPayloads:
    """Telegram's callback_data holds at most 64 bytes; longer payloads (question buttons carry the
    question) wait here under a short key. Bounded, in memory: after a restart a key is unknown."""

    PREFIX = "#"

    def __init__(self, size: int = 10_000) -> None:
        self._size = size
        self._payloads: OrderedDict[str, str] = OrderedDict()

    def data_for(self, payload: str) -> str:
        if len(payload.encode()) <= MAX_CALLBACK_DATA and not payload.startswith(self.PREFIX):
            return payload
        # The same payload always gets the same key, so repeated buttons take one entry.
        digest = hashlib.blake2b(payload.encode(), digest_size=12).digest()
        key = self.PREFIX + base64.urlsafe_b64encode(digest).decode()
        self._payloads[key] = payload
        self._payloads.move_to_end(key)
        while len(self._payloads) > self._size:
            self._payloads.popitem(last=False)
        return key

    def payload_for(self, data: str) -> str | None:
        """The payload behind a button's callback_data; None when the key is not (or no longer) known."""
        if not data.startswith(self.PREFIX):
            return data
        payload = self._payloads.get(data)
        if payload is not None:
            self._payloads.move_to_end(data)
        return payload


def render(message: dict, buttons: ButtonPayloads) -> list[tuple[str, InlineKeyboardMarkup | None]]:
    """One Rasa message as Telegram messages: (HTML text, keyboard) pairs. Every text from the bot or
    an expert is escaped, so it is never read as markup. `custom` payloads are for the web widget."""
    said = texts()["telegram"]
    text = str(message.get("text") or "").strip()
    if message.get("image"):
        text = f"{text}\n\n{said['image']} {message['image']}".strip()
    expert = message.get("from") == "expert"
    titles = [b for b in message.get("buttons") or [] if b.get("title") and b.get("payload")]
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton(b["title"], callback_data=buttons.data_for(str(b["payload"])))]
         for b in titles]) if titles else None
    if not text and keyboard:
        text = said["buttons_only"]
    prefix = said["expert"]
    limit = MAX_TEXT - (len(prefix) + 1 if expert else 0)
    parts = [html.escape(part, quote=False) for part in split_text(text, limit)]
    if not parts:
        return []
    if expert:
        parts[0] = f"<b>{html.escape(prefix)}</b> {parts[0]}"
    return [(part, keyboard if i == len(parts) - 1 else None) for i, part in enumerate(parts)]


class _OneAtATimePerChat(BaseUpdateProcessor):
    """Chats are handled side by side (one slow Rasa answer must not hold up everyone), but one chat's
    updates are handled one at a time, in the order they came in."""

    def __init__(self, max_concurrent_updates: int = 64) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: Counter[int] = Counter()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            await coroutine
            return
        self._users[chat.id] += 1
        lock = self._locks.setdefault(chat.id, asyncio.Lock())
        try:
            async with lock:
                await coroutine
        finally:
            self._users[chat.id] -= 1
            if not self._users[chat.id]:  # nobody waits: forget the chat
                del self._users[chat.id], self._locks[chat.id]

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


def _chat_id(update: Update) -> str:
    assert update.effective_chat is not None  # all our handlers get chat updates
    return str(update.effective_chat.id)


class TelegramChannel:
    """Telegram ⇄ router. `base_url` is python-telegram-bot's (".../bot", the token is appended)."""

    name = CHANNEL

    def __init__(
        self,
        router: RouterLike,
        token: str,
        *,
        base_url: str | None = None,
        webhook_url: str | None = None,
        webhook_port: int = DEFAULT_WEBHOOK_PORT,
        webhook_listen: str = "127.0.0.1",
        poll_timeout: float = POLL_TIMEOUT,
    ) -> None:
        self.router = router
        self.webhook_url = webhook_url
        self.webhook_port = webhook_port
        # Behind the site's HTTPS reverse proxy by default; 0.0.0.0 only when Telegram reaches us directly.
        self.webhook_listen = webhook_listen
        self.poll_timeout = poll_timeout
        self.buttons = ButtonPayloads()
        self._webhook_secret = secrets.token_urlsafe(32)  # only Telegram learns it: others get 403
        self._webhook: web.AppRunner | None = None
        builder = ApplicationBuilder().token(token).job_queue(None).concurrent_updates(_OneAtATimePerChat())
        if base_url:
            builder = builder.base_url(base_url).base_file_url(_file_url(base_url))
        self.app: Application = builder.build()
        self._wire(self.app)

    def _wire(self, app: Application) -> None:
        """Every handler in one place. Only private chats: a group would mix parents in one conversation."""
        private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
        app.add_handler(CommandHandler("start", self._on_start, filters=private))
        app.add_handler(CommandHandler("nieuw", self._on_new, filters=private))
        for command in COMMAND_PAYLOADS:
            app.add_handler(CommandHandler(command, self._on_command, filters=private))
        app.add_handler(MessageHandler(private & filters.TEXT, self._on_text))
        app.add_handler(MessageHandler(private, self._on_not_text))
        app.add_handler(CallbackQueryHandler(self._on_button))
        app.add_error_handler(self._on_error)

    # -- lifecycle ---------------------------------------------------------------------------------

    async def start(self) -> None:
        # httpx logs every request URL at INFO, and the URL holds the bot token.
        logging.getLogger("httpx").setLevel(logging.WARNING)
        await self.app.initialize()
        try:
            commands = texts()["telegram"]["commands"]
            await self.app.bot.set_my_commands([BotCommand(c, d) for c, d in commands.items()])
        except TelegramError as error:  # the bot works without its menu
            logger.warning("Telegram: could not set the command menu (%s)", type(error).__name__)
        await self.app.start()
        try:
            await self._start_updates()
        except BaseException:  # e.g. the webhook port is taken: leave nothing running
            await self.stop()
            raise

    async def _start_updates(self) -> None:
        assert self.app.updater is not None
        if self.webhook_url:
            await self._start_webhook()
            logger.info("Telegram started (webhook on port %s)", self.webhook_port)
        else:
            await self.app.updater.start_polling(timeout=self.poll_timeout)
            logger.info("Telegram started (long polling)")

    async def _start_webhook(self) -> None:
        """Our own small aiohttp server rather than python-telegram-bot's tornado one: that one answers
        a body that is not JSON with a 500, and logs an update it cannot read in full (the text too)."""
        app = web.Application(client_max_size=MAX_UPDATE_BYTES)
        app.router.add_post("/" + urlsplit(self.webhook_url).path.strip("/"), self._on_webhook)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        self._webhook = runner
        await web.TCPSite(runner, self.webhook_listen, self.webhook_port).start()
        await self.app.bot.set_webhook(url=self.webhook_url, secret_token=self._webhook_secret)

    async def _on_webhook(self, request: web.Request) -> web.Response:
        """Telegram's POST of one update: 403 without the secret, 400 for what is not an update."""
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._webhook_secret.encode()):
            return web.Response(status=403)
        try:
            data = json.loads(await request.read())
            update = Update.de_json(data, self.app.bot) if isinstance(data, dict) else None
        except Exception as error:  # noqa: BLE001 - any body at all: log the error's type, never the data
            logger.warning("Telegram: an update was not readable (%s)", type(error).__name__)
            update = None
        if update is None:
            return web.Response(status=400)
        await self.app.update_queue.put(update)
        return web.Response()

    async def stop(self) -> None:
        if self._webhook is not None:
            await self._webhook.cleanup()
            self._webhook = None
        if self.app.updater and self.app.updater.running:
            await self.app.updater.stop()
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()

    # -- router → Telegram -------------------------------------------------------------------------

    async def deliver(self, address: str, messages: list[dict]) -> None:
        for message in messages:
            if message.get("typing"):
                await self.typing(address)
                continue
            for text, keyboard in render(message, self.buttons):
                try:
                    await self.app.bot.send_message(
                        chat_id=address, text=text, parse_mode=ParseMode.HTML, reply_markup=keyboard)
                except TelegramError as error:  # e.g. the user blocked the bot: the router goes on
                    logger.warning("Telegram: a message was not delivered (%s)", type(error).__name__)
                    return

    async def typing(self, address: str) -> None:
        try:
            await self.app.bot.send_chat_action(chat_id=address, action=ChatAction.TYPING)
        except TelegramError as error:  # only a hint: never worth failing for
            logger.debug("Telegram: no typing action (%s)", type(error).__name__)

    # -- Telegram → router -------------------------------------------------------------------------

    async def _to_router(self, chat: str, text: str) -> None:
        # The router shows "typing" itself, and only when the bot (not a person) is answering.
        await self.router.from_user(self.name, chat, text)

    async def _on_start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        for payload in START_PAYLOADS:
            await self._to_router(_chat_id(update), payload)

    async def _on_new(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.router.new_conversation(self.name, _chat_id(update))

    async def _on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.message.text is not None
        command = update.message.text.split()[0].lstrip("/").split("@")[0].lower()
        await self._to_router(_chat_id(update), COMMAND_PAYLOADS[command])

    async def _on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.message.text is not None
        # Commands we do not know go on as typed, as in the web chat: the router knows "/bot".
        await self._to_router(_chat_id(update), update.message.text.strip())

    async def _on_not_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await context.bot.send_message(chat_id=_chat_id(update), text=texts()["telegram"]["not_text"])

    async def _on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer()
        if query.message is not None:
            try:  # an old keyboard must not be pressed twice
                await query.edit_message_reply_markup(reply_markup=None)
            except TelegramError as error:
                logger.debug("Telegram: keyboard not removed (%s)", type(error).__name__)
        if update.effective_chat is None:  # a button on an inline message: not one of ours
            return
        chat = _chat_id(update)
        payload = self.buttons.payload_for(str(query.data or ""))
        if payload is None:
            await context.bot.send_message(chat_id=chat, text=texts()["telegram"]["button_expired"])
            return
        await self._to_router(chat, payload)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log where it failed, never what the user wrote (the error's message may quote it)."""
        error = context.error
        frame = error.__traceback__ if error else None
        while frame is not None and frame.tb_next is not None:
            frame = frame.tb_next
        where = f"{frame.tb_frame.f_code.co_filename}:{frame.tb_lineno}" if frame else "?"
        logger.error("Telegram: handling an update failed: %s at %s", type(error).__name__, where)
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is not None:
            try:
                await context.bot.send_message(chat_id=chat.id, text=texts()["something_went_wrong"])
            except TelegramError:
                pass


def _file_url(base_url: str) -> str:
    """The file URL next to a Bot API URL: ".../bot" → ".../file/bot"."""
    head, sep, _ = base_url.rpartition("/bot")
    return f"{head}/file/bot" if sep else base_url


def from_env(router: RouterLike) -> TelegramChannel | None:
    """The Telegram channel configured by TELEGRAM_TOKEN, TELEGRAM_BASE_URL (a fake API in tests),
    TELEGRAM_WEBHOOK_URL, TELEGRAM_WEBHOOK_PORT and TELEGRAM_WEBHOOK_LISTEN; None without a token (the
    gateway checks that before it imports this module: bot/gateway/app.telegram_from_env)."""
    token = os.environ.get("TELEGRAM_TOKEN", "").strip()
    if not token:
        return None
    raw_port = os.environ.get("TELEGRAM_WEBHOOK_PORT", "").strip() or str(DEFAULT_WEBHOOK_PORT)
    if not raw_port.isdigit():
        raise ValueError(f"TELEGRAM_WEBHOOK_PORT must be a port number, not {raw_port!r}")
    return TelegramChannel(
        router,
        token,
        base_url=os.environ.get("TELEGRAM_BASE_URL", "").strip() or None,
        webhook_url=os.environ.get("TELEGRAM_WEBHOOK_URL", "").strip() or None,
        webhook_port=int(raw_port),
        webhook_listen=os.environ.get("TELEGRAM_WEBHOOK_LISTEN", "").strip() or "127.0.0.1",
    )
