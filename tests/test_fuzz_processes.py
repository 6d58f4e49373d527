"""No bad input ends a process (issue 14), against the real Rasa server and action server (slow: the
`assistant` fixture): the REST webhook gets bodies of every shape, real conversations get messages of
any characters, and the real gateway's web chat sits in front of the real Rasa. Afterwards both
processes still answer. tests/test_fuzz.py covers the same doors in-process.
"""

from __future__ import annotations

import asyncio
import json
import urllib.request

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.gateway.rasa import AsyncRasa
from tests.support.webchat import client, serve
from tests.test_fuzz import FUZZ, REST_ANY, Loop, batches, texts

WEBHOOK = "/webhooks/rest/webhook"


def still_running(assistant) -> None:
    assert all(process.poll() is None for process in assistant.processes.processes), "a process ended"
    urllib.request.urlopen(f"http://127.0.0.1:{assistant.processes.actions_port}/health", timeout=10).read()
    assert assistant.texts("fuzz-still-there", "hoe wordt kinderalimentatie berekend?")


def test_sender_id_with_an_unpaired_surrogate_does_not_end_rasa(assistant):
    """The report of issue 14: this one request used to stop the Rasa server (SystemExit in the tracker
    store's session_scope)."""
    body = json.dumps({"sender": "web-\ud800", "message": "hoi"}).encode()
    response = httpx.post(assistant.processes.url + WEBHOOK, content=body, timeout=60,
                          headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    still_running(assistant)


def test_fuzz_rasa_rest_webhook(assistant):
    loop = Loop()
    http = httpx.AsyncClient(base_url=assistant.processes.url, timeout=60)
    counts = {"bodies": 0, "messages": 0}

    @settings(max_examples=400, **FUZZ)
    @given(inputs=batches(REST_ANY, 24))  # mostly refused: cheap, unlike the messages below
    def bodies(inputs):
        async def post_all():
            return await asyncio.gather(*(http.post(WEBHOOK, content=body,
                                                    headers={"Content-Type": "application/json"})
                                          for body in inputs))

        for response in loop.run(post_all()):
            assert response.status_code in (200, 400), response.text
        counts["bodies"] += len(inputs)

    # Messages of any characters in a few real conversations: each goes through the whole pipeline.
    @settings(max_examples=60, **FUZZ)
    @given(inputs=batches(st.tuples(st.integers(0, 4), texts(60)), 6))
    def messages(inputs):
        for conversation, text in inputs:
            body = json.dumps({"sender": f"fuzz-{conversation}", "message": text}).encode()  # \ud800 escaped
            response = loop.run(http.post(WEBHOOK, content=body, headers={"Content-Type": "application/json"}))
            assert response.status_code == 200 and isinstance(response.json(), list)
        counts["messages"] += len(inputs)

    try:
        bodies()
        messages()
    finally:
        loop.run(http.aclose())
        loop.close()
    print(f"fuzz: Rasa's REST webhook, {counts}")
    assert counts["bodies"] >= 4800 and counts["messages"] >= 180, counts
    still_running(assistant)


def test_fuzz_gateway_webchat_in_front_of_real_rasa(assistant, sqlite_store):

    loop = Loop()

    async def start():
        runner, url = await serve(AsyncRasa(assistant.processes.url))
        sio, received, _ = await client(url, None)
        return runner, sio, received

    runner, sio, received = loop.run(start())
    sent = []

    @settings(max_examples=40, **FUZZ)
    @given(inputs=batches(st.one_of(texts(), texts(2100)), 6))
    def example(inputs):
        async def one(text):
            while not received.empty():
                received.get_nowait()
            await sio.emit("user_uttered", {"message": text})
            return await asyncio.wait_for(received.get(), 30)  # at least one message back

        for text in inputs:
            answer = loop.run(one(text))
            assert isinstance(answer, dict) and answer
        sent.extend(inputs)

    try:
        example()
    finally:
        loop.run(sio.eio.disconnect(abort=True))
        loop.run(runner.cleanup())
        loop.close()
    print(f"fuzz: web chat in front of the real Rasa, {len(sent)} inputs")
    assert len(sent) >= 120
    still_running(assistant)
