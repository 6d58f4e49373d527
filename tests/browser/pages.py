"""What the browser tests share: the gateway on its own loop, and helpers that act as a parent does."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from aiohttp import web
from playwright import sync_api as playwright_api

from bot.gateway.app import Settings, build_app

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    # No skipping: make test installs it (scripts/ensure_chromium.sh).
    raise RuntimeError("Chromium is missing: run scripts/ensure_chromium.sh (make test does)")

ANSWER_TIMEOUT = 60_000  # ms; the first answers of a fresh Rasa can be slow on a busy machine
SESSION_KEY = "scheidingspunt.session"


class Gateway:
    """The gateway's aiohttp app on its own event loop in a background thread."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.url = f"http://127.0.0.1:{settings.port}"
        self.loop = asyncio.new_event_loop()
        self.app: web.Application | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="gateway", daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        runner: web.AppRunner | None = None
        try:
            self.app = build_app(self.settings, with_telegram=False)
            runner = web.AppRunner(self.app)
            self.loop.run_until_complete(runner.setup())
            site = web.TCPSite(runner, "127.0.0.1", self.settings.port, shutdown_timeout=0.5)
            self.loop.run_until_complete(site.start())
        except BaseException as error:  # noqa: B036 - handed to the test thread below
            self._error = error
            self._ready.set()
            return
        self._ready.set()
        self.loop.run_forever()
        self.loop.run_until_complete(runner.cleanup())
        # socket.io's ping tasks outlive the runner; end them so nothing is destroyed while pending.
        pending = asyncio.all_tasks(self.loop)
        for task in pending:
            task.cancel()
        self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        self.loop.close()

    def start(self) -> None:
        self._thread.start()
        if not self._ready.wait(60):
            raise RuntimeError("the gateway did not start")
        if self._error is not None:
            raise RuntimeError("the gateway did not start") from self._error

    def call(self, coroutine) -> object:
        """Run a coroutine on the gateway's loop (e.g. a message from an expert) and wait for it."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(30)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(15)


def open_chat(page):
    page.get_by_role("button", name="Chat met ons").click()
    chat = page.get_by_role("dialog")
    playwright_api.expect(chat).to_be_visible()
    return chat


def ask(page, text: str) -> None:
    """Type as a parent does and wait for the assistant's next message."""
    answers = page.locator(".sp-msg--bot")
    before = answers.count()
    page.get_by_label("Je bericht").fill(text)
    page.get_by_role("button", name="Verstuur").click()
    playwright_api.expect(answers).to_have_count(before + 1, timeout=ANSWER_TIMEOUT)


def session_id(page) -> str | None:
    return page.evaluate(f"() => JSON.parse(sessionStorage.getItem('{SESSION_KEY}'))")
