"""The stock `rasa-webchat` widget (npm, unchanged) talks to our gateway in Chromium: the gateway speaks
the protocol of Rasa's socketio channel, so a site that already embeds that widget can point it at us."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.browser.pages import ANSWER_TIMEOUT, playwright_api

BUNDLE = Path(__file__).resolve().parents[2] / "node_modules" / "rasa-webchat" / "lib" / "index.js"
if not BUNDLE.exists():
    # No skipping: make test installs it with `npm ci`.
    raise RuntimeError("rasa-webchat is missing: run `npm ci` (make test does)")

# Served on the gateway's origin by Playwright only; the gateway itself has no such routes.
PAGE_PATH = "/__rasa-webchat-test__/"
BUNDLE_PATH = "/__rasa-webchat-test__/index.js"
# A bot message's text; the typing indicator is a `.rw-response` too, but without text.
ANSWERS = ".rw-response .rw-message-text"


def host_page(socket_url: str) -> str:
    # The README's plain <script> embedding; "session" storage keeps each test's context on its own.
    settings = {"selector": "#webchat", "socketUrl": socket_url, "socketPath": "/socket.io/",
                "initPayload": "/greet", "customData": {"language": "nl"}, "title": "Scheidingspunt",
                "inputTextFieldHint": "Typ je vraag", "params": {"storage": "session"}}
    return f"""<!doctype html>
<html lang="nl"><head><meta charset="utf-8"><title>rasa-webchat</title></head>
<body><div id="webchat"></div>
<script src="{BUNDLE_PATH}"></script>
<script>WebChat.default({json.dumps(settings)}, null);</script>
</body></html>"""


def open_rasa_webchat(page, gateway) -> None:
    page.route(gateway.url + PAGE_PATH, lambda route: route.fulfill(
        status=200, content_type="text/html; charset=utf-8", body=host_page(gateway.url)))
    page.route(gateway.url + BUNDLE_PATH, lambda route: route.fulfill(
        status=200, content_type="text/javascript; charset=utf-8", path=str(BUNDLE)))
    page.goto(gateway.url + PAGE_PATH)
    page.locator(".rw-launcher").click()
    playwright_api.expect(page.locator(".rw-conversation-container")).to_be_visible()
    # Opening sends the initPayload ("/greet"); its answer shows the session was confirmed and answered.
    playwright_api.expect(page.locator(ANSWERS)).to_have_count(1, timeout=ANSWER_TIMEOUT)


def ask(page, text: str) -> playwright_api.Locator:
    """Type into the widget's own input, press Enter; return the bot messages after the parent's one."""
    field = page.locator(".rw-new-message")
    field.fill(text)
    field.press("Enter")
    playwright_api.expect(page.locator(".rw-client").last).to_have_text(text)
    return answers_to_last_message(page)


def answers_to_last_message(page) -> playwright_api.Locator:
    """The bot messages after the parent's last one, once the first of them is shown."""
    answers = page.locator(".rw-from-client").last.locator(
        "xpath=following-sibling::div[contains(@class, 'rw-from-response')]").locator(".rw-message-text")
    playwright_api.expect(answers.first).to_be_visible(timeout=ANSWER_TIMEOUT)
    return answers


def test_rasa_webchat_asks_a_question_and_shows_the_answer(page, gateway):
    open_rasa_webchat(page, gateway)
    answers = ask(page, "hoe wordt kinderalimentatie berekend?")
    playwright_api.expect(answers.first).to_contain_text("alimentatie", ignore_case=True)
    # The widget kept the session id the gateway confirmed (ours look like this, see webchat.py).
    stored = page.evaluate("() => JSON.parse(sessionStorage.getItem('chat_session') || 'null')")
    assert stored is not None and re.fullmatch(r"[0-9a-f]{32}", stored["session_id"])


def test_rasa_webchat_shows_quick_replies_and_sends_the_chosen_one(page, gateway):
    open_rasa_webchat(page, gateway)
    ask(page, "wat kan ik vragen?")
    replies = page.locator(".rw-replies .rw-reply")
    playwright_api.expect(replies.first).to_be_visible(timeout=ANSWER_TIMEOUT)
    assert replies.count() >= 2
    title = replies.first.inner_text().strip()
    replies.first.click()
    # The widget shows the title as the parent's message, never the "/intent" payload.
    playwright_api.expect(page.locator(".rw-client").last).to_have_text(title)
    assert "/" not in title
    # The payload reached the assistant: the answer is about the chosen topic.
    playwright_api.expect(answers_to_last_message(page).first).to_contain_text(title, ignore_case=True)
