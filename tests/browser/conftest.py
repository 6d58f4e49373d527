"""Fixtures of the browser tests: one gateway and one Chromium per module, a fresh page per test."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from bot.gateway.app import Settings
from bot.launcher import free_port
from tests.browser.pages import CHROMIUM, Gateway, playwright_api
from tests.browser.scripted_rasa import ScriptedRasa
from tests.support.assistant import TOKEN


@pytest.fixture(scope="module")
def gateway(assistant) -> Iterator[Gateway]:
    with pytest.MonkeyPatch.context() as patch:
        # The same store as the action server, so the router sees what the actions recorded.
        patch.setenv("DATABASE_URL", assistant.processes.database_url)
        server = Gateway(Settings(port=free_port(), rasa_url=assistant.processes.url, rasa_token=TOKEN,
                                  secret="t"))
        server.start()
        yield server
        server.stop()


@dataclass
class Scripted:
    """A gateway in front of the scripted Rasa: the same widget, answers that never change."""

    gateway: Gateway
    rasa: ScriptedRasa

    @property
    def url(self) -> str:
        return self.gateway.url


@pytest.fixture(scope="module")
def scripted(gateway) -> Iterator[Scripted]:
    # Beside the real gateway, on the same store (DATABASE_URL is set while `gateway` lives).
    rasa = ScriptedRasa(free_port())
    rasa.start()
    server = Gateway(Settings(port=free_port(), rasa_url=rasa.url, rasa_token=TOKEN, secret="scripted"))
    server.start()
    yield Scripted(server, rasa)
    server.stop()
    rasa.stop()


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM))
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, gateway):
    context = browser.new_context(locale="nl-NL")
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(gateway.url + "/")
    yield page
    context.close()
    assert dialogs == [], f"the page opened a dialog (script ran?): {dialogs}"
