"""The embeddable web chat widget in a real browser (Chromium via Playwright), on the demo page,
through the gateway, against the real assistant."""

from __future__ import annotations

import re

import pytest

from tests.browser.pages import ANSWER_TIMEOUT, ask, open_chat, playwright_api, session_id


def test_a_parent_asks_a_question_and_gets_an_answer(page):
    chat = open_chat(page)
    playwright_api.expect(chat).to_contain_text("Je chat anoniem. Typ geen naam, BSN of adres.")
    playwright_api.expect(chat.get_by_role("button", name="Snel weg")).to_be_visible()
    ask(page, "hoe wordt kinderalimentatie berekend?")
    playwright_api.expect(page.locator(".sp-msg--user")).to_have_text(
        ["Jijhoe wordt kinderalimentatie berekend?"])
    answer = page.locator(".sp-msg--bot .sp-msg__text").first.inner_text()
    assert "alimentatie" in answer.lower()
    playwright_api.expect(page.locator(".sp-typing")).to_be_hidden()


def test_a_quick_reply_sends_its_payload_and_shows_its_title(page):
    open_chat(page)
    ask(page, "wat kan ik vragen?")
    replies = page.locator(".sp-reply")
    assert replies.count() >= 2
    title = replies.first.inner_text()
    answers = page.locator(".sp-msg--bot")
    replies.first.click()
    playwright_api.expect(page.locator(".sp-msg--user").last).to_have_text("Jij" + title)
    playwright_api.expect(answers).to_have_count(2, timeout=ANSWER_TIMEOUT)
    # A payload like "/intent{...}" is never shown to the parent.
    assert "/" not in page.locator(".sp-msg--user").last.inner_text()


def test_html_typed_by_a_parent_is_shown_as_text_never_as_html(page):
    open_chat(page)
    attack = "<img src=x onerror=alert(1)>"
    ask(page, attack)
    messages = page.locator(".sp-messages")
    assert messages.locator("img").count() == 0
    playwright_api.expect(page.locator(".sp-msg--user .sp-msg__text")).to_have_text([attack])


def test_an_expert_message_shows_medewerker_and_only_safe_links(page, gateway):
    open_chat(page)
    ask(page, "hallo")
    sid = session_id(page)
    webchat = gateway.app["webchat"]
    gateway.call(webchat.typing(sid))
    playwright_api.expect(page.locator(".sp-typing")).to_be_visible()
    text = "Kijk op https://www.example.nl/info. Niet op javascript:alert(1) <b>vet</b>"
    gateway.call(webchat.deliver(sid, [{"text": text, "from": "expert"}]))
    expert = page.locator(".sp-msg--expert")
    playwright_api.expect(expert).to_have_count(1)
    playwright_api.expect(page.locator(".sp-typing")).to_be_hidden()
    playwright_api.expect(expert.locator(".sp-msg__sender")).to_have_text("Medewerker")
    playwright_api.expect(expert.locator(".sp-msg__text")).to_have_text(text)
    links = expert.locator("a")
    playwright_api.expect(links).to_have_count(1)  # the javascript: text is not a link
    assert links.get_attribute("href") == "https://www.example.nl/info"
    assert links.get_attribute("target") == "_blank"
    assert links.get_attribute("rel") == "noopener noreferrer"
    assert expert.locator("b").count() == 0


def test_a_reload_keeps_the_session_and_the_transcript(page):
    open_chat(page)
    ask(page, "hoe wordt kinderalimentatie berekend?")
    before = page.locator(".sp-msg").all_inner_texts()
    sid = session_id(page)
    assert sid and re.fullmatch(r"[A-Za-z0-9_-]{8,64}", sid)
    page.reload()
    playwright_api.expect(page.get_by_role("dialog")).to_be_visible()  # it was open, so it opens again
    playwright_api.expect(page.locator(".sp-msg")).to_have_count(len(before))
    assert page.locator(".sp-msg").all_inner_texts() == before
    assert session_id(page) == sid


def test_new_conversation_clears_the_transcript(page):
    open_chat(page)
    ask(page, "hallo")
    page.get_by_role("button", name="Nieuw gesprek").click()
    # The server confirms the erase with a fresh message; the old ones are gone at once.
    playwright_api.expect(page.locator(".sp-msg--user")).to_have_count(0)
    stored = page.evaluate("() => JSON.parse(sessionStorage.getItem('scheidingspunt.transcript'))")
    assert [entry for entry in stored if entry["who"] == "user"] == []


def test_snel_weg_leaves_for_the_neutral_page_and_forgets_the_chat(page, gateway):
    open_chat(page)
    ask(page, "hallo")
    assert page.evaluate("() => sessionStorage.length") > 0
    history = page.evaluate("() => history.length")
    page.get_by_role("button", name="Snel weg").click()
    page.wait_for_url(gateway.url + "/widget/neutral.html")
    assert page.evaluate("() => sessionStorage.length") == 0
    assert page.evaluate("() => localStorage.length") == 0
    assert "chat" not in page.content().lower()
    # location.replace: the chat page is not in the history, so "back" cannot return to it.
    assert page.evaluate("() => history.length") == history
    page.go_back()
    assert page.url != gateway.url + "/"


def test_escape_twice_is_the_quick_exit_too(page, gateway):
    open_chat(page)
    page.keyboard.press("Escape")
    page.keyboard.press("Escape")
    page.wait_for_url(gateway.url + "/widget/neutral.html")


def test_the_counter_follows_the_input_up_to_1000(page):
    open_chat(page)
    counter = page.locator(".sp-counter")
    playwright_api.expect(counter).to_have_text("0/1000")
    box = page.get_by_label("Je bericht")
    box.fill("hallo")
    playwright_api.expect(counter).to_have_text("5/1000")
    box.fill("a" * 1000)
    playwright_api.expect(counter).to_have_text("1000/1000")
    box.press("End")
    box.press("b")  # one more than allowed is refused
    playwright_api.expect(counter).to_have_text("1000/1000")
    assert len(box.input_value()) == 1000


def test_keyboard_only_opens_the_chat_and_sends(page):
    launcher = page.get_by_role("button", name="Chat met ons")
    for _ in range(20):  # tab through the page until the launcher has focus
        page.keyboard.press("Tab")
        if launcher.evaluate("element => element === document.activeElement"):
            break
    else:
        pytest.fail("the launcher cannot be reached with Tab")
    page.keyboard.press("Enter")
    box = page.get_by_label("Je bericht")
    playwright_api.expect(box).to_be_focused()
    page.keyboard.type("hallo")
    page.keyboard.press("Enter")
    playwright_api.expect(page.locator(".sp-msg--user .sp-msg__text")).to_have_text(["hallo"])
    playwright_api.expect(page.locator(".sp-msg--bot")).to_have_count(1, timeout=ANSWER_TIMEOUT)


def test_a_message_typed_without_connection_is_sent_when_it_comes_back(page):
    # No connection to the gateway at first: socket.io keeps retrying by itself.
    page.route("**/socket.io/**", lambda route: route.abort())
    open_chat(page)
    playwright_api.expect(page.locator(".sp-status")).to_contain_text("Verbinding maken")
    page.get_by_label("Je bericht").fill("hoe wordt kinderalimentatie berekend?")
    page.get_by_role("button", name="Verstuur").click()
    playwright_api.expect(page.locator(".sp-msg--user")).to_have_count(1)
    playwright_api.expect(page.locator(".sp-typing")).to_be_visible()
    assert page.locator(".sp-msg--bot").count() == 0
    page.unroute("**/socket.io/**")
    playwright_api.expect(page.locator(".sp-msg--bot")).to_have_count(1, timeout=ANSWER_TIMEOUT)
    playwright_api.expect(page.locator(".sp-status")).to_be_hidden()
    assert "alimentatie" in page.locator(".sp-msg--bot").inner_text().lower()


# --- NL Design System look and the municipality's theme ---------------------------------------------------

SEND_BUTTON_STYLE = """button => {
    const style = getComputedStyle(button);
    return {background: style.backgroundColor, color: style.color, font: style.fontFamily,
            userSelect: style.userSelect};
}"""


def widget_look(page) -> dict:
    """What the parent sees of the theme: the send button's colours and font, and the logo text."""
    open_chat(page)
    look = page.get_by_role("button", name="Verstuur").evaluate(SEND_BUTTON_STYLE)
    look["logo"] = page.evaluate("() => getComputedStyle(document.querySelector('.sp-logo'), '::before').content")
    return look


def test_the_widget_uses_the_nl_design_system_css_and_the_municipality_theme(page):
    look = widget_look(page)
    # Twenterand's primary colour #1d5d3b with white text, painted by the utrecht-button component
    # (user-select: none comes from the Utrecht CSS only, not from widget.css).
    assert look == {"background": "rgb(29, 93, 59)", "color": "rgb(255, 255, 255)",
                    "font": 'system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif',
                    "userSelect": "none", "logo": '"Gemeente Twenterand"'}
    sheets = page.evaluate("() => [...document.styleSheets].map((sheet) => sheet.href || '')")
    assert [href.split("/widget/", 1)[-1] for href in sheets if "/widget/" in href] == [
        "vendor/nlds/utrecht-tokens.css", "vendor/nlds/utrecht-components.css", "widget.css",
        "theme/twenterand.css"]
    assert "utrecht-textarea" in page.get_by_label("Je bericht").get_attribute("class")
    # The tokens stay on the widget: the host page's own elements do not get them.
    assert page.evaluate(
        "() => getComputedStyle(document.body).getPropertyValue('--utrecht-button-primary-action-background-color')"
    ) == ""


def test_zwolle_has_its_own_look(page, gateway):
    page.goto(gateway.url + "/?gemeente=zwolle")
    look = widget_look(page)
    assert look == {"background": "rgb(11, 83, 148)", "color": "rgb(255, 255, 255)",
                    "font": "Verdana, Geneva, sans-serif", "userSelect": "none", "logo": '"Gemeente Zwolle"'}
    assert page.locator(".sp-widget").get_attribute("data-gemeente") == "zwolle"
    # The chat itself works the same.
    ask(page, "hallo")
    playwright_api.expect(page.locator(".sp-msg--user .sp-msg__text")).to_have_text(["hallo"])
