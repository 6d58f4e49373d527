"""The Telegram channel end to end: a real python-telegram-bot Application against a fake Bot API."""

from __future__ import annotations

import asyncio
import html
import logging
import re
import socket
from collections.abc import Awaitable, Callable

import httpx
import pytest

from bot.gateway import telegram as tg
from bot.gateway.telegram import ButtonPayloads, TelegramChannel, from_env, render, split_text
from bot.gateway.texts import texts
from tests.support.imports import loaded
from tests.support.telegram_fake import FakeTelegram

CHAT = 4242
OTHER_CHAT = 5151


class FakeRouter:
    """Records what the channel hands over; a text in `gates` blocks until its event is set."""

    def __init__(self, fake: FakeTelegram | None) -> None:
        self.fake = fake
        self.calls: list[tuple] = []
        self.api_calls_seen: list[list[str]] = []  # the fake's calls at the moment of each router call
        self.gates: dict[str, asyncio.Event] = {}
        self.fail_on: str | None = None
        self._news = asyncio.Condition()

    async def _record(self, call: tuple) -> None:
        async with self._news:
            self.calls.append(call)
            self.api_calls_seen.append([c.method for c in self.fake.calls] if self.fake else [])
            self._news.notify_all()

    async def from_user(self, channel: str, address: str, text: str) -> None:
        await self._record(("from_user", channel, address, text))
        if text in self.gates:
            await self.gates[text].wait()
        if text == self.fail_on:
            raise ValueError(f"could not handle {text!r} from {address}")

    async def new_conversation(self, channel: str, address: str) -> None:
        await self._record(("new_conversation", channel, address))

    async def wait_calls(self, count: int) -> list[tuple]:
        async with self._news:
            await asyncio.wait_for(self._news.wait_for(lambda: len(self.calls) >= count), 5)
        return self.calls[:count]

    def texts(self) -> list[str]:
        return [c[3] for c in self.calls if c[0] == "from_user"]


Scenario = Callable[[FakeTelegram, FakeRouter, TelegramChannel], Awaitable[None]]


def run(scenario: Scenario) -> None:
    """Start the fake API and the channel (long polling), play `scenario`, stop both."""

    async def main() -> None:
        fake = await FakeTelegram().start()
        router = FakeRouter(fake)
        channel = TelegramChannel(router, fake.token, base_url=fake.base_url, poll_timeout=1)
        await channel.start()
        try:
            await scenario(fake, router, channel)
        finally:
            await channel.stop()
            await fake.stop()

    asyncio.run(main())


def keyboard_of(params: dict) -> list[list[dict]]:
    return params["reply_markup"]["inline_keyboard"]


# -- start-up and commands -------------------------------------------------------------------------


def test_start_sets_the_dutch_command_menu_and_polls():
    async def scenario(fake, router, channel):
        (commands,) = await fake.wait_for("setMyCommands")
        assert [c["command"] for c in commands["commands"]] == ["start", "help", "mens", "nieuw", "verwijder"]
        assert all(c["description"] for c in commands["commands"])
        assert fake.calls_to("deleteWebhook"), "polling starts by removing any webhook"
        await fake.push_text(CHAT, "hallo")
        assert await router.wait_calls(1) == [("from_user", "telegram", str(CHAT), "hallo")]

    run(scenario)


def test_start_greets_with_the_first_buttons():
    async def scenario(fake, router, channel):
        await fake.push_command(CHAT, "/start")
        assert await router.wait_calls(1) == [("from_user", "telegram", str(CHAT), "/greet")]

    run(scenario)


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("/help", ("from_user", "telegram", str(CHAT), "/help")),
        ("/mens", ("from_user", "telegram", str(CHAT), "/request_human")),
        ("/verwijder", ("from_user", "telegram", str(CHAT), "/delete_conversation")),
        ("/nieuw", ("new_conversation", "telegram", str(CHAT))),
        ("/mens@ScheidingspuntBot", ("from_user", "telegram", str(CHAT), "/request_human")),
        # Other commands go on as typed: "/bot" takes a waiting parent back to the bot (router).
        ("/bot", ("from_user", "telegram", str(CHAT), "/bot")),
    ],
)
def test_commands(typed, expected):
    async def scenario(fake, router, channel):
        await fake.push_command(CHAT, typed)
        assert await router.wait_calls(1) == [expected]

    run(scenario)


# -- user → router ---------------------------------------------------------------------------------


def test_text_goes_to_the_router_which_decides_about_typing():
    async def scenario(fake, router, channel):
        await fake.push_text(CHAT, "Wie betaalt de huur?")
        assert await router.wait_calls(1) == [("from_user", "telegram", str(CHAT), "Wie betaalt de huur?")]
        # Typing is the router's call (only while the bot answers, not while a person does).
        assert fake.calls_to("sendChatAction") == []
        await channel.typing(str(CHAT))
        assert fake.calls_to("sendChatAction") == [{"chat_id": str(CHAT), "action": "typing"}]

    run(scenario)


@pytest.mark.parametrize("push", ["push_photo", "push_voice", "push_sticker", "push_document", "push_location"])
def test_non_text_gets_the_text_only_reply_and_skips_the_router(push):
    async def scenario(fake, router, channel):
        await getattr(fake, push)(CHAT)
        (reply,) = await fake.wait_for("sendMessage")
        assert reply["text"] == texts()["telegram"]["not_text"] and int(reply["chat_id"]) == CHAT
        assert router.calls == []

    run(scenario)


def test_group_chats_are_ignored():
    async def scenario(fake, router, channel):
        group = {"id": -100, "type": "group", "title": "Ouders"}
        await fake.push("message", fake.user_message(CHAT, text="hallo groep") | {"chat": group})
        await fake.push_text(CHAT, "hallo")
        await router.wait_calls(1)
        assert router.texts() == ["hallo"]
        assert fake.calls_to("sendMessage") == []

    run(scenario)


def test_a_failing_handler_says_so_without_logging_text_or_chat(caplog):
    secret = "bel me op 06-12345678"

    async def scenario(fake, router, channel):
        router.fail_on = secret
        await fake.push_text(CHAT, secret)
        (reply,) = await fake.wait_for("sendMessage")
        assert reply["text"] == texts()["something_went_wrong"]

    with caplog.at_level(logging.INFO):
        run(scenario)
    errors = [r for r in caplog.records if r.name == tg.__name__ and r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "ValueError" in errors[0].getMessage()
    logged = "\n".join(r.getMessage() + str(r.exc_info or "") for r in caplog.records)
    assert "06-12345678" not in logged and str(CHAT) not in logged


def test_chats_run_side_by_side_but_one_chat_in_order():
    async def scenario(fake, router, channel):
        router.gates["eerste"] = release = asyncio.Event()
        try:
            await fake.push_text(CHAT, "eerste")
            await router.wait_calls(1)
            await fake.push_text(CHAT, "tweede")  # same chat: waits for "eerste"
            await fake.push_text(OTHER_CHAT, "andere chat")  # another chat: does not wait
            await router.wait_calls(2)
            assert router.texts() == ["eerste", "andere chat"]
        finally:
            release.set()  # else stopping would wait for the blocked handler
        await router.wait_calls(3)
        assert router.texts() == ["eerste", "andere chat", "tweede"]

    run(scenario)


# -- router → user ---------------------------------------------------------------------------------


def test_buttons_become_an_inline_keyboard_one_per_row():
    async def scenario(fake, router, channel):
        buttons = [{"title": "Geld", "payload": "/choose_topic{\"topic\":\"geld\"}"},
                   {"title": "Praat met een mens", "payload": "/request_human"}]
        await channel.deliver(str(CHAT), [{"text": "Waar gaat je vraag over?", "buttons": buttons}])
        (sent,) = fake.calls_to("sendMessage")
        assert sent["text"] == "Waar gaat je vraag over?" and sent["parse_mode"] == "HTML"
        assert keyboard_of(sent) == [
            [{"text": "Geld", "callback_data": "/choose_topic{\"topic\":\"geld\"}"}],
            [{"text": "Praat met een mens", "callback_data": "/request_human"}],
        ]

    run(scenario)


def test_a_pressed_button_is_answered_its_keyboard_removed_and_its_payload_routed():
    async def scenario(fake, router, channel):
        await channel.deliver(str(CHAT), [{"text": "Kies", "buttons": [{"title": "Ja", "payload": "/affirm"}]}])
        sent = [c for c in fake.calls if c.method == "sendMessage"][0]
        data = keyboard_of(sent.params)[0][0]["callback_data"]
        query_id = await fake.push_callback(CHAT, data, sent.result["message_id"])
        assert await router.wait_calls(1) == [("from_user", "telegram", str(CHAT), "/affirm")]
        assert fake.calls_to("answerCallbackQuery") == [{"callback_query_id": query_id}]
        (edit,) = fake.calls_to("editMessageReplyMarkup")
        assert int(edit["chat_id"]) == CHAT and int(edit["message_id"]) == sent.result["message_id"]
        assert "reply_markup" not in edit, "no markup = keyboard removed"

    run(scenario)


def test_a_long_payload_round_trips_through_a_short_key():
    question = "Mijn ex betaalt de kinderalimentatie niet meer sinds drie maanden, wat kan ik nu doen?"
    assert len(question.encode()) > tg.MAX_CALLBACK_DATA

    async def scenario(fake, router, channel):
        await channel.deliver(str(CHAT), [{"text": "Bedoel je:", "buttons": [{"title": question, "payload": question}]}])
        sent = [c for c in fake.calls if c.method == "sendMessage"][0]
        (button,) = keyboard_of(sent.params)[0]
        assert button["text"] == question
        assert len(button["callback_data"].encode()) <= tg.MAX_CALLBACK_DATA
        await fake.push_callback(CHAT, button["callback_data"], sent.result["message_id"])
        assert await router.wait_calls(1) == [("from_user", "telegram", str(CHAT), question)]

    run(scenario)


def test_an_unknown_button_key_gets_a_friendly_reply():
    async def scenario(fake, router, channel):
        # A key from before a restart: the map that knew it is gone.
        await fake.push_callback(CHAT, ButtonPayloads.PREFIX + "onbekend", 77)
        (reply,) = await fake.wait_for("sendMessage")
        assert reply["text"] == texts()["telegram"]["button_expired"]
        assert len(fake.calls_to("answerCallbackQuery")) == 1
        assert int(fake.calls_to("editMessageReplyMarkup")[0]["message_id"]) == 77
        assert router.calls == []

    run(scenario)


def test_a_long_answer_is_sent_in_order_in_parts_at_sentence_breaks():
    sentence = "Dit is zin {} van een lang antwoord over de verdeling van de spullen. "
    paragraphs = ["".join(sentence.format(p * 100 + s) for s in range(13)).strip() for p in range(10)]
    answer = "\n\n".join(paragraphs)
    answer = answer[: answer.rfind(".", 0, 9000) + 1]
    assert 8900 <= len(answer) <= 9000

    async def scenario(fake, router, channel):
        await channel.deliver(str(CHAT), [{"text": answer}])
        parts = fake.sent_texts(CHAT)
        assert len(parts) == 3
        assert all(len(part) <= 4096 and part.endswith(".") for part in parts)
        assert re.sub(r"\s+", "", "".join(parts)) == re.sub(r"\s+", "", answer)

    run(scenario)


def test_markup_from_the_bot_arrives_as_literal_text():
    async def scenario(fake, router, channel):
        await channel.deliver(str(CHAT), [{"text": "<b>x</b> & <a href='y'>z</a>"}])
        (sent,) = fake.calls_to("sendMessage")
        assert sent["text"] == "&lt;b&gt;x&lt;/b&gt; &amp; &lt;a href='y'&gt;z&lt;/a&gt;"
        assert html.unescape(sent["text"]) == "<b>x</b> & <a href='y'>z</a>"

    run(scenario)


def test_expert_messages_are_prefixed_in_bold():
    async def scenario(fake, router, channel):
        await channel.deliver(str(CHAT), [{"text": "Hoi, ik ben <Anja>.", "from": "expert"}, {"text": "Bot"}])
        assert fake.sent_texts(CHAT) == ["<b>Medewerker:</b> Hoi, ik ben &lt;Anja&gt;.", "Bot"]

    run(scenario)


def test_images_become_a_link_custom_is_hidden_and_typing_hints_show_typing():
    async def scenario(fake, router, channel):
        await channel.deliver(str(CHAT), [
            {"typing": True},
            {"custom": {"kind": "chart"}},
            {"text": "Zo ziet het formulier eruit.", "image": "https://example.nl/a.png?x=1&y=2"},
            {"image": "https://example.nl/b.png"},
        ])
        assert fake.calls_to("sendChatAction") == [{"chat_id": str(CHAT), "action": "typing"}]
        assert fake.sent_texts(CHAT) == [
            "Zo ziet het formulier eruit.\n\nAfbeelding: https://example.nl/a.png?x=1&amp;y=2",
            "Afbeelding: https://example.nl/b.png",
        ]

    run(scenario)


def test_delivery_to_a_chat_that_blocked_the_bot_does_not_raise(caplog):
    async def scenario(fake, router, channel):
        fake.blocked.add(CHAT)
        await channel.deliver(str(CHAT), [{"text": "Hallo"}, {"text": "Nog iets"}])
        await channel.typing(str(CHAT))
        await channel.deliver(str(OTHER_CHAT), [{"text": "Hallo"}])
        assert fake.sent_texts() == ["Hallo"]
        assert fake.refused == ["sendMessage", "sendChatAction"], "the rest is not tried"

    with caplog.at_level(logging.WARNING, logger=tg.__name__):
        run(scenario)
    assert [r.getMessage() for r in caplog.records] == ["Telegram: a message was not delivered (Forbidden)"]


# -- pure helpers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, limit, expected",
    [
        ("a" * 4096, 4096, ["a" * 4096]),
        ("a" * 4097, 4096, ["a" * 4096, "a"]),
        ("Een zin. Nog een zin.", 12, ["Een zin.", "Nog een zin."]),
        ("eerste alinea\n\ntweede. alinea", 20, ["eerste alinea", "tweede. alinea"]),
        ("woord woord woord", 11, ["woord woord", "woord"]),
        ("  ", 10, []),
        # Telegram counts emoji as two units.
        ("👍" * 5, 4, ["👍👍", "👍👍", "👍"]),
    ],
    ids=["exactly-the-limit", "one-over", "sentences", "paragraphs", "words", "blank", "emoji"],
)
def test_split_text(text, limit, expected):
    assert split_text(text, limit) == expected


def test_button_payloads_fit_in_64_bytes_and_the_map_is_bounded():
    payloads = ButtonPayloads(size=2)
    exact = "x" * 64
    assert payloads.data_for(exact) == exact
    accented = "é" * 33  # 66 bytes, 33 characters
    key = payloads.data_for(accented)
    assert key != accented and len(key.encode()) <= 64 and payloads.payload_for(key) == accented
    assert payloads.data_for(accented) == key, "the same payload keeps its key"
    # A short payload that looks like a key is stored too, so it cannot be mistaken for one.
    assert payloads.payload_for(payloads.data_for("#kort")) == "#kort"
    payloads.data_for("y" * 100)  # third entry: the oldest (the accented one) goes
    assert payloads.payload_for(key) is None
    assert payloads.payload_for("/affirm") == "/affirm"


def test_render_puts_the_keyboard_on_the_last_part_only():
    parts = render({"text": "a " * 3000, "buttons": [{"title": "Ja", "payload": "/affirm"}]}, ButtonPayloads())
    assert [markup is not None for _, markup in parts] == [False, True]
    assert render({"buttons": [{"title": "Ja", "payload": "/affirm"}]}, ButtonPayloads())[0][0] == texts()["telegram"]["buttons_only"]
    assert render({"custom": {"a": 1}}, ButtonPayloads()) == []
    expert = render({"text": "b " * 3000, "from": "expert"}, ButtonPayloads())
    assert [text.startswith("<b>Medewerker:</b> ") for text, _ in expert] == [True, False]
    assert len(expert[0][0].replace("<b>", "").replace("</b>", "")) <= 4096


def test_webhook_mode_registers_its_url_and_takes_updates_only_with_the_secret():
    """Webhook mode (our aiohttp server) on loopback: Telegram's POST reaches the
    router; a POST without the secret token that setWebhook registered is refused."""

    async def main() -> None:
        fake = await FakeTelegram().start()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        router = FakeRouter(fake)
        channel = TelegramChannel(router, fake.token, base_url=fake.base_url,
                                  webhook_url="https://bot.example.nl/telegram", webhook_port=port)
        try:
            await channel.start()
            (hook,) = fake.calls_to("setWebhook")
            assert hook["url"] == "https://bot.example.nl/telegram" and len(hook["secret_token"]) >= 32
            update = {"update_id": 1, "message": fake.user_message(4242, text="hoi via webhook")}
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
                forged = await http.post("/telegram", json=update)
                assert forged.status_code == 403
                real = await http.post("/telegram", json=update,
                                       headers={"X-Telegram-Bot-Api-Secret-Token": hook["secret_token"]})
                assert real.status_code == 200
            (call,) = await router.wait_calls(1)
            assert call == ("from_user", "telegram", "4242", "hoi via webhook")
        finally:
            await channel.stop()
            await fake.stop()

    asyncio.run(main())


# -- configuration ---------------------------------------------------------------------------------


def test_without_token_the_gateway_leaves_telegram_out(monkeypatch):
    # python-telegram-bot is not even imported: about 12 MB of the gateway's memory (issue 15).
    monkeypatch.delenv("TELEGRAM_TOKEN", raising=False)
    modules, log = loaded("import logging; logging.basicConfig(level=logging.INFO, format='%(message)s')\n"
                          "from bot.gateway.app import telegram_from_env\n"
                          "assert telegram_from_env(None) is None", "telegram")
    assert modules == []
    assert "Telegram disabled: TELEGRAM_TOKEN is not set" in log.splitlines()
    assert from_env(FakeRouter(None)) is None  # direct callers get no channel either


def test_from_env_with_token(monkeypatch):
    monkeypatch.setenv("TELEGRAM_TOKEN", "123:abc")
    monkeypatch.setenv("TELEGRAM_BASE_URL", "http://127.0.0.1:9/bot")
    monkeypatch.setenv("TELEGRAM_WEBHOOK_URL", "https://bot.example.nl/telegram")
    monkeypatch.setenv("TELEGRAM_WEBHOOK_PORT", "8444")
    monkeypatch.setenv("TELEGRAM_WEBHOOK_LISTEN", "0.0.0.0")
    channel = from_env(FakeRouter(None))
    assert channel is not None and channel.name == "telegram"
    assert channel.app.bot.base_url == "http://127.0.0.1:9/bot123:abc"
    assert channel.app.bot.base_file_url == "http://127.0.0.1:9/file/bot123:abc"
    assert (channel.webhook_url, channel.webhook_port, channel.webhook_listen) == (
        "https://bot.example.nl/telegram", 8444, "0.0.0.0")
    monkeypatch.setenv("TELEGRAM_WEBHOOK_PORT", "poort")
    with pytest.raises(ValueError, match="TELEGRAM_WEBHOOK_PORT"):
        from_env(FakeRouter(None))
