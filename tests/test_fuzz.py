"""No bad input ends a process (issue 14): hypothesis throws generated input at every door that takes
input from outside, in-process and on loopback. The real Rasa and action server get theirs in
tests/test_fuzz_processes.py (slow).

- the private tracker store: any sender id is stored or refused (UnusableSenderId), never an exit;
- Rasa's REST channel as we serve it (privacy/rest_channel.py on a real Sanic, the store behind it): any
  body gets a 200 or a 4xx;
- the gateway's web chat (socket.io on loopback, a fake Rasa): every message gets an answer, whatever
  its payload;
- the Telegram webhook (our aiohttp server, a fake Bot API): any body gets a 200 or a 4xx, and the
  channel still takes a real update afterwards;
- the expert console's forms (login, availability, callbacks, take-over, live chat): never a 5xx.

Reproducible (derandomize=True) and bounded: about 3,500 inputs in about 35 s on 2 cores; with the slow
part about 10,300.
"""

from __future__ import annotations

import asyncio
import json
import socket
import string
import threading
from urllib.parse import quote

import argon2
import httpx
import pytest
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rasa.core.channels.channel import UserMessage
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from sanic import Sanic

from bot.console import accounts
from bot.gateway.telegram import SECRET_HEADER, TelegramChannel
from bot.launcher import MAX_REQUEST_BYTES, free_port
from privacy.rest_channel import CheckedRestInput
from privacy.tracker_store import PrivateSQLTrackerStore, UnusableSenderId, sender_id_problem
from tests.console.harness import add_account, console_app, logged_in
from tests.support.fakes import FakeRasa
from tests.support.telegram_fake import FakeTelegram
from tests.support.webchat import client, serve

FUZZ = dict(deadline=None, derandomize=True, database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])

# Text of every kind: any code point, unpaired surrogates (hypothesis leaves those out of st.text),
# control and invisible characters, emoji.
SURROGATES = st.integers(0xD800, 0xDFFF).map(chr)
ODD = st.sampled_from(["\x00", "\n", "\r\n", "\t", "\x1b", "\x7f", "\u0085", "\u200b", "\u200d", "\ufeff",
                       "\u202e", "\ufffd", "\U0001f600", "\U0001f468\u200d\U0001f469", "é", " "])


def texts(max_size: int = 30) -> st.SearchStrategy[str]:
    char = st.one_of(st.characters(codec=None, exclude_categories=()), SURROGATES, ODD,
                     st.sampled_from(string.printable))
    return st.lists(char, max_size=max_size).map("".join)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | texts(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts(8), inner, max_size=4),
    max_leaves=12,
)


def encoded(value: object) -> st.SearchStrategy[bytes]:
    """JSON as bytes: surrogates escaped (valid JSON), or written raw (not even UTF-8)."""
    return st.sampled_from([
        json.dumps(value).encode(),
        json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass"),
    ])


def bodies(fields: dict[str, st.SearchStrategy]) -> st.SearchStrategy[bytes]:
    """A JSON object with these fields, each of the right shape or any JSON, some left out; or any
    JSON; or bytes that are no JSON at all."""
    objects = st.fixed_dictionaries({}, optional={name: st.one_of(good, JSON) for name, good in fields.items()})
    return st.one_of(objects.flatmap(encoded), objects.flatmap(encoded), JSON.flatmap(encoded),
                     st.binary(max_size=64))


def batches(inputs: st.SearchStrategy, size: int) -> st.SearchStrategy[list]:
    """Several inputs per example: hypothesis spends ~10 ms on an example whatever its size."""
    return st.lists(inputs, min_size=max(1, size // 2), max_size=size)


class Loop:
    """One event loop for a whole hypothesis run, in its own thread: servers start once, each example is
    one coroutine, and the loop keeps running (socket.io pings, Telegram's update queue) while
    hypothesis thinks of the next example."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine):
        return asyncio.run_coroutine_threadsafe(asyncio.wait_for(coroutine, 20), self.loop).result()

    def close(self) -> None:
        self.run(self.loop.shutdown_asyncgens())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


@pytest.fixture
def loop():
    running = Loop()
    yield running
    running.close()


# -- the tracker store -----------------------------------------------------------------------------


def test_rasa_own_store_exits_on_an_unencodable_sender_id_and_ours_does_not(tmp_path):
    """The bug of issue 14: Rasa's session_scope turns the UnicodeEncodeError into sys.exit."""
    rasa_own = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "rasa.db"))
    with pytest.raises(SystemExit):
        asyncio.run(rasa_own.retrieve("web-\ud800"))
    ours = PrivateSQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "ours.db"))
    with pytest.raises(UnusableSenderId):
        asyncio.run(ours.retrieve("web-\ud800"))
    with pytest.raises(ValueError), ours.session_scope():  # any other ValueError: that request fails only
        raise ValueError("not a missing schema")


def test_missing_postgresql_schema_still_stops_the_server(tmp_path, monkeypatch):
    store = PrivateSQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "t.db"))
    monkeypatch.setattr("privacy.tracker_store.ensure_schema_exists",
                        lambda session: (_ for _ in ()).throw(ValueError("scheidingspunt")))
    with pytest.raises(SystemExit), store.session_scope():
        pass


def test_fuzz_tracker_store_sender_ids(tmp_path, sqlite_store, loop):
    store = PrivateSQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "tracker.db"))

    sent = []

    @settings(max_examples=80, **FUZZ)
    @given(inputs=batches(st.tuples(st.one_of(texts(), texts(300), JSON), texts()), 8))
    def example(inputs):
        for sender, text in inputs:
            sent.append(sender)
            one(sender, text)

    def one(sender, text):
        async def save_and_read():
            tracker = await store.get_or_create_tracker(sender)
            tracker.update(UserUttered(text))
            await store.save(tracker)
            return await store.retrieve(sender)

        if sender_id_problem(sender):
            with pytest.raises(UnusableSenderId):
                loop.run(save_and_read())
        else:
            assert loop.run(save_and_read()).latest_message.text == text

    example()
    print(f"fuzz: tracker store, {len(sent)} inputs")
    assert len(sent) >= 300


# -- Rasa's REST channel, as credentials.yml names it ----------------------------------------------

REST_ANY = bodies({"sender": texts(), "message": texts(), "metadata": st.dictionaries(texts(8), JSON),
                   "input_channel": texts(8)})
SENDERS = st.text(string.ascii_letters + string.digits + "-_:.@", min_size=1, max_size=40)
REST_BODIES = st.one_of(
    REST_ANY,
    st.fixed_dictionaries({"sender": SENDERS, "message": texts()}).flatmap(encoded),  # a well-formed request
)



def test_fuzz_rest_channel(loop):
    reached: list[UserMessage] = []

    async def on_new_message(message: UserMessage) -> None:  # the store had its own fuzz above
        assert not sender_id_problem(message.sender_id) and isinstance(message.text, str)
        assert not any(0xD800 <= ord(ch) <= 0xDFFF for ch in message.text)
        reached.append(message)
        await message.output_channel.send_text_message(message.sender_id, "ok")

    app = Sanic("fuzz_rest", configure_logging=False)
    app.config.REQUEST_MAX_SIZE = MAX_REQUEST_BYTES
    app.blueprint(CheckedRestInput().blueprint(on_new_message), url_prefix="/webhooks/rest")
    port = free_port()

    async def start():
        server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True)
        await server.startup()
        await server.start_serving()
        return server

    server = loop.run(start())
    http = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10)
    statuses: set[int] = set()
    sent: list[bytes] = []
    try:
        @settings(max_examples=100, **FUZZ)
        @given(inputs=batches(REST_BODIES, 16))
        def example(inputs):
            async def post_all():
                return await asyncio.gather(*(http.post("/webhooks/rest/webhook", content=body,
                                                        headers={"Content-Type": "application/json"})
                                              for body in inputs))

            responses = loop.run(post_all())
            sent.extend(inputs)
            for response in responses:
                statuses.add(response.status_code)
                assert response.status_code in (200, 400), response.text
                if response.status_code == 200:
                    (answer,) = response.json()
                    assert answer["text"] == "ok" and not sender_id_problem(answer["recipient_id"])

        example()
        print(f"fuzz: REST channel, {len(sent)} inputs")
        assert len(sent) >= 800
        too_big = json.dumps({"sender": "s", "message": "x" * MAX_REQUEST_BYTES}).encode()
        assert loop.run(http.post("/webhooks/rest/webhook", content=too_big)).status_code == 413
        assert loop.run(http.post("/webhooks/rest/webhook", json={"sender": "s", "message": "hoi"})).status_code == 200
    finally:
        loop.run(http.aclose())
        server.close()
        loop.run(server.wait_closed())
    assert statuses == {200, 400}


# -- the gateway's web chat ------------------------------------------------------------------------


def test_fuzz_webchat_every_message_answered(sqlite_store, loop):
    rasa = FakeRasa()

    async def start():
        runner, url = await serve(rasa)
        return (runner, *await client(url, None))

    runner, sio, received, session_id = loop.run(start())
    # A message for another valid session goes to that session's room (the protocol): not ours to see.
    other_ids = texts(70).filter(lambda s: not (8 <= len(s) <= 64 and set(s) <= set(string.ascii_letters
                                                                                    + string.digits + "_-")))
    payloads = st.one_of(
        st.fixed_dictionaries({"message": st.one_of(texts(), texts(2100), JSON)},
                              optional={"session_id": st.one_of(st.just(session_id), other_ids, JSON),
                                        "customData": JSON}),
        JSON,  # no message at all: answered like an empty one
    )
    sent: list = []
    try:
        @settings(max_examples=110, **FUZZ)
        @given(inputs=batches(payloads, 10))
        def example(inputs):
            async def send_all():  # sent at once, as a fast typist does; answered one by one, in order
                for data in inputs:
                    await sio.emit("user_uttered", data)
                return [await received.get() for _ in inputs]

            answers = loop.run(send_all())
            sent.extend(inputs)
            assert all(isinstance(answer, dict) and answer.get("text") for answer in answers)

        example()
        print(f"fuzz: web chat, {len(sent)} inputs")
        assert len(sent) >= 550
        assert received.empty()
    finally:
        loop.run(sio.eio.disconnect(abort=True))
        loop.run(runner.cleanup())


# -- the Telegram webhook --------------------------------------------------------------------------


class CountingRouter:
    def __init__(self) -> None:
        self.texts: list[str] = []

    async def from_user(self, channel: str, address: str, text: str) -> None:
        self.texts.append(text)

    async def new_conversation(self, channel: str, address: str) -> None:
        pass


def test_fuzz_telegram_webhook(loop):
    router = CountingRouter()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    async def start():
        fake = await FakeTelegram().start()
        channel = TelegramChannel(router, fake.token, base_url=fake.base_url,
                                  webhook_url="https://bot.example.nl/telegram", webhook_port=port)
        await channel.start()
        return fake, channel

    fake, channel = loop.run(start())
    secret = fake.calls_to("setWebhook")[0]["secret_token"]
    http = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10)
    chats = st.one_of(st.integers(1, 10**6), JSON)
    message = st.fixed_dictionaries(
        {"message_id": st.one_of(st.integers(1, 10**6), JSON), "date": st.one_of(st.integers(0, 2**31), JSON),
         "chat": st.one_of(st.fixed_dictionaries({"id": chats, "type": st.sampled_from(["private", "group"])}),
                           JSON)},
        optional={"text": st.one_of(texts(), JSON), "entities": JSON, "from": JSON})
    update = bodies({"update_id": st.integers(1, 10**9), "message": message,
                     "callback_query": st.fixed_dictionaries({"id": texts(8), "data": st.one_of(texts(), JSON),
                                                              "chat_instance": texts(8)}),
                     "edited_message": message})
    statuses: set[int] = set()
    sent: list = []
    try:
        @settings(max_examples=80, **FUZZ)
        @given(inputs=batches(st.tuples(update, st.sampled_from([True, True, True, False])), 12))
        def example(inputs):
            def post(body, with_secret):
                headers = {"Content-Type": "application/json", **({SECRET_HEADER: secret} if with_secret else {})}
                return http.post("/telegram", content=body, headers=headers)

            async def post_all():
                return await asyncio.gather(*(post(*one) for one in inputs))

            responses = loop.run(post_all())
            sent.extend(inputs)
            for (_, with_secret), response in zip(inputs, responses, strict=True):
                statuses.add(response.status_code)
                assert response.status_code in ((200, 400) if with_secret else (403,))

        example()
        print(f"fuzz: Telegram webhook, {len(sent)} inputs")
        assert len(sent) >= 480
        real = {"update_id": 10**9 + 1, "message": fake.user_message(4242, text="nog steeds hier")}
        assert loop.run(http.post("/telegram", json=real, headers={SECRET_HEADER: secret})).status_code == 200

        async def arrived():
            while "nog steeds hier" not in router.texts:
                await asyncio.sleep(0.05)

        loop.run(arrived())
    finally:
        loop.run(http.aclose())
        loop.run(channel.stop())
        loop.run(fake.stop())
    assert statuses == {200, 400, 403}


# -- the expert console's forms --------------------------------------------------------------------


@pytest.fixture
def cheap_hashing(monkeypatch):
    monkeypatch.setattr(accounts, "HASHER", argon2.PasswordHasher.from_parameters(argon2.profiles.CHEAPEST))
    accounts._dummy_hash.cache_clear()
    yield
    accounts._dummy_hash.cache_clear()


def path_part(value: str) -> str:
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


def test_fuzz_console_forms(sqlite_store, cheap_hashing, loop):
    app, _, _ = console_app(sqlite_store)
    add_account("carla", role="coordinator", municipality=accounts.ALL_MUNICIPALITIES)

    async def start():
        clients = {"expert": TestClient(TestServer(app)), "stranger": TestClient(TestServer(app))}
        for client in clients.values():
            await client.start_server()
        return clients, await logged_in(clients["expert"], "carla")

    clients, csrf = loop.run(start())
    form_values = st.one_of(texts(), texts(3000), st.integers().map(str), st.sampled_from(["0", "1", "done", ""]))
    ids = st.one_of(st.integers(-5, 10**12).map(str), texts(40)).map(path_part)
    posts = st.sampled_from(["/console/beschikbaarheid", "/console/terugbellen/{}/status",
                             "/console/terugbellen/{}/nummer", "/console/overnemen/{}",
                             "/console/gesprek/{}/bericht", "/console/gesprek/{}/teruggeven",
                             "/console/gesprek/{}/sluiten", "/console/login"])
    gets = st.sampled_from(["/console/cijfers", "/console/cijfers.csv", "/console/terugbellen",
                            "/console/gesprek/{}", "/console/wachtrij", "/console/api/wachtrij", "/console/login",
                            "/console/terugbellen/{}/status"])
    fields = st.dictionaries(st.sampled_from(["csrf", "username", "password", "available", "status", "text",
                                              "bericht", "message"]) | texts(8), form_values, max_size=5)
    headers = st.fixed_dictionaries({}, optional={
        "Accept": st.sampled_from(["application/json", "text/html", "*/*"]),
        "Referer": texts(60).map(lambda t: t.encode("utf-8", "surrogatepass").decode("latin-1")),
        "X-CSRF-Token": st.sampled_from([csrf, "x"]),
    }).map(lambda h: {k: v.replace("\r", "").replace("\n", "") for k, v in h.items()})
    queries = st.dictionaries(st.sampled_from(["van", "tot", "gemeente", "periode", "from", "to", "uitgelogd"]),
                              texts(20).map(path_part), max_size=3)
    raw_bodies = st.one_of(st.none(), st.none(), st.binary(max_size=300))
    content_types = st.sampled_from(["application/x-www-form-urlencoded", "multipart/form-data",
                                     "multipart/form-data; boundary=x", "application/json",
                                     "text/plain; charset=utf-16"])
    requests = st.tuples(st.sampled_from(["expert", "expert", "stranger"]), st.booleans(), posts, gets, ids,
                         fields, st.booleans(), raw_bodies, content_types, queries, headers)
    sent: list = []

    def one(who, post, post_path, get_path, path_id, form, real_csrf, raw, content_type, query, extra_headers):
        client = clients[who]
        if post:
            path = post_path.format(path_id)
            if real_csrf:
                form = {**form, "csrf": csrf}
            form = {k.encode("utf-8", "surrogatepass").decode("utf-8", "replace"):
                    v.encode("utf-8", "surrogatepass").decode("utf-8", "replace") for k, v in form.items()}
            if raw is not None:
                request = client.post(path, data=raw, headers={**extra_headers, "Content-Type": content_type},
                                      allow_redirects=False)
            else:
                request = client.post(path, data=form, headers=extra_headers, allow_redirects=False)
        else:
            path = get_path.format(path_id) + "?" + "&".join(f"{k}={v}" for k, v in query.items())
            request = client.get(path, headers=extra_headers, allow_redirects=False)

        async def status():
            async with request as response:
                await response.read()
                return response.status

        assert loop.run(status()) < 500, (path, form if post else query)

    @settings(max_examples=110, **FUZZ)
    @given(inputs=batches(requests, 8))
    def example(inputs):
        for one_request in inputs:
            one(*one_request)
        sent.extend(inputs)

    try:
        example()
        print(f"fuzz: console forms, {len(sent)} inputs")
        assert len(sent) >= 440
        # The expert is still logged in and the console still works.
        assert loop.run(clients["expert"].get("/console/wachtrij", allow_redirects=False)).status == 200
    finally:
        for client in clients.values():
            loop.run(client.close())
