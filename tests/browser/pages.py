"""What the browser tests share: the gateway on its own loop, and helpers that act as a parent does."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
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
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

# The two sizes the widget is checked at: a laptop, and a phone (390 x 844 CSS pixels, e.g. an iPhone 13).
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2}


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


@contextmanager
def browser_page(browser, url: str, **context_options) -> Iterator:
    """The page at `url` in its own context (its own cookies; `context_options` such as a device's size
    from DESKTOP or PHONE); fails when the page opened a dialog (a script ran)."""
    context = browser.new_context(locale="nl-NL", **context_options)
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    try:
        page.goto(url)
        yield page
    finally:
        context.close()
    assert dialogs == [], f"the page opened a dialog (script ran?): {dialogs}"


def widget_page(browser, url: str, device: dict):
    """The widget's page at the size of `device` (DESKTOP or PHONE)."""
    return browser_page(browser, url, **device)


def open_chat(page, *, greeting: bool = True):
    """Open the panel as a parent does. A new conversation starts with the assistant's greeting; with
    `greeting` (the default) this waits for it, so a test's own questions count from after it."""
    page.get_by_role("button", name="Chat met ons").click()
    chat = page.get_by_role("dialog")
    playwright_api.expect(chat).to_be_visible()
    if greeting:
        playwright_api.expect(page.locator(".sp-msg--bot").first).to_be_visible(timeout=ANSWER_TIMEOUT)
        playwright_api.expect(page.locator(".sp-typing")).to_be_hidden(timeout=ANSWER_TIMEOUT)
    return chat


def ask(page, text: str):
    """Type as a parent does and wait for the assistant's next message; returns that message."""
    answers = page.locator(".sp-msg--bot")
    before = answers.count()
    page.get_by_label("Je bericht").fill(text)
    page.get_by_role("button", name="Verstuur").click()
    playwright_api.expect(answers).to_have_count(before + 1, timeout=ANSWER_TIMEOUT)
    return answers.nth(before)


MEASURE = """async () => {
    // Measure what a parent sees once the panel's fade-in is over.
    await Promise.all(document.getAnimations().map((animation) => animation.finished));
    const box = (selector) => {
        const element = document.querySelector(selector);
        const rect = element.getBoundingClientRect();
        return {top: rect.top, left: rect.left, width: rect.width, height: rect.height,
                visible: rect.width > 0 && rect.height > 0 && getComputedStyle(element).display !== 'none'};
    };
    return {viewport: {width: innerWidth, height: innerHeight}, panel: box('.sp-panel'),
            messages: box('.sp-messages'), replies: box('.sp-replies'), launcher: box('.sp-launcher')};
}"""


def layout(page) -> dict:
    """The boxes (getBoundingClientRect) of the panel, the message list, the quick replies and the
    launcher, the viewport's size, and `ratio`: the message list's share of the panel's height."""
    boxes = page.evaluate(MEASURE)
    boxes["ratio"] = boxes["messages"]["height"] / boxes["panel"]["height"]
    return boxes


def screenshot(page, name: str) -> Path:
    """What the parent sees on the screen (not the whole page: the chat is fixed to the screen)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def session_id(page) -> str | None:
    return page.evaluate(f"() => JSON.parse(sessionStorage.getItem('{SESSION_KEY}'))")
