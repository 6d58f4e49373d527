"""The console's live work through HTTP: queue, take, two-way chat, SSE, hand back, close, access."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone

from aiohttp.test_utils import TestClient, TestServer

from bot.console import hub, live
from bot.gateway.texts import texts
from bot.store import handoffs
from bot.store.db import session_scope
from bot.store.handoffs import HandoffView
from bot.store.models import Conversation, HandoffRequest, LiveMessage
from tests.console.harness import add_account, console_app, logged_in
from tests.support.fakes import FakeRasa

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def handoff_replies(sender: str, text: str) -> list[dict]:
    """Rasa's answer to "ik wil een mens <gemeente>": the action stores a request and says so."""
    if not text.startswith("ik wil een mens"):
        return [{"text": f"antwoord op {text}"}]
    municipality = text.rsplit(" ", 1)[-1]
    with session_scope() as session:
        request = handoffs.request(
            session, conversation_id=sender, municipality=municipality, topic="kinderalimentatie",
            reason="op verzoek", screening_level="deskundige", screening_domains=["geld", "wonen"])
        handoff_id = request.id
    return [{"text": "Ik zet je door naar een medewerker."}, {"custom": {"handoff": {"id": handoff_id}}}]


class Console:
    """The app, its fakes and a logged-in client per expert."""

    def __init__(self, store: str) -> None:
        self.app, self.rasa, self.channel = console_app(store, FakeRasa(handoff_replies))
        self.router = self.app["router"]
        self.server = TestServer(self.app)
        self.clients: dict[str, TestClient] = {}
        self.csrf: dict[str, str] = {}

    async def __aenter__(self) -> Console:
        await self.server.start_server()
        return self

    async def __aexit__(self, *exc) -> None:
        for client in self.clients.values():
            await client.close()
        await self.server.close()

    async def login(self, username: str) -> TestClient:
        client = TestClient(self.server)
        await client.start_server()
        self.clients[username] = client
        self.csrf[username] = await logged_in(client, username)
        return client

    async def queue_parent(self, address: str, municipality: str = "twenterand") -> str:
        await self.router.from_user("web", address, f"ik wil een mens {municipality}")
        with session_scope() as session:
            return session.get(Conversation, self.router.conversation_id("web", address)).handoff_id

    def conversation_id(self, address: str) -> str:
        return self.router.conversation_id("web", address)

    async def post(self, username: str, path: str, **data) -> tuple[int, str, str]:
        response = await self.clients[username].post(path, data={"csrf": self.csrf[username], **data},
                                                     allow_redirects=False)
        return response.status, response.headers.get("Location", ""), await response.text()

    async def get(self, username: str, path: str) -> tuple[int, str]:
        response = await self.clients[username].get(path, allow_redirects=False)
        return response.status, await response.text()


def status_of(handoff_id: str) -> tuple[str, str | None]:
    with session_scope() as session:
        request = session.get(HandoffRequest, handoff_id)
        return request.status, request.taken_by


def mode_of(conversation_id: str) -> str:
    with session_scope() as session:
        return session.get(Conversation, conversation_id).mode


async def next_event(response, timeout: float = 10.0) -> dict:
    """The next SSE event of a stream (comments and the retry line skipped); {} at its end."""
    while True:
        block = await asyncio.wait_for(response.content.readuntil(b"\n\n"), timeout)
        if not block:
            return {}
        fields = dict(line.split(": ", 1) for line in block.decode().strip().split("\n")
                      if ": " in line and not line.startswith(":"))
        if "event" in fields:
            return {"id": fields.get("id"), "event": fields["event"], **json.loads(fields["data"])}


async def open_stream(client: TestClient, **headers):
    response = await client.get("/console/events", headers=headers)
    assert response.status == 200 and response.headers["Content-Type"].startswith("text/event-stream")
    assert await asyncio.wait_for(response.content.readuntil(b"\n\n"), 10) == b"retry: 3000\n\n"
    return response


def run(store: str, scenario) -> None:
    async def main() -> None:
        async with Console(store) as console:
            await scenario(console)

    asyncio.run(main())


# --- the queue ------------------------------------------------------------------------------------


def test_queue_shows_the_context_to_experts_of_that_municipality_only(sqlite_store):
    add_account("anne")
    add_account("zoe", municipality="zwolle")
    add_account("cora", role="coordinator", municipality="*")

    async def scenario(console: Console) -> None:
        for name in ("anne", "zoe", "cora"):
            await console.login(name)
        assert (await console.clients["anne"].get("/console/", allow_redirects=False)).headers["Location"] \
            == "/console/wachtrij"
        status, page = await console.get("anne", "/console/wachtrij")
        assert status == 200 and "Er wacht nu niemand." in page
        handoff_id = await console.queue_parent("ouder-1")

        status, page = await console.get("anne", "/console/wachtrij")
        assert status == 200
        for shown in ("Kinderalimentatie", "Twenterand", "Webchat", "deskundige (geld, wonen)", "op verzoek",
                      "1 ouder wacht", f'action="/console/overnemen/{handoff_id}"'):
            assert shown in page, shown
        assert "ouder-1" not in page and console.conversation_id("ouder-1") not in page
        assert handoff_id in (await console.get("cora", "/console/wachtrij"))[1]

        status, page = await console.get("zoe", "/console/wachtrij")
        assert "Er wacht nu niemand." in page and handoff_id not in page
        api = await (await console.clients["zoe"].get("/console/api/wachtrij")).json()
        assert api == {"queue": [], "mine": []}
        api = await (await console.clients["anne"].get("/console/api/wachtrij")).json()
        [item] = api["queue"]
        assert (item["id"], item["topic"], item["municipality"], item["channel"], item["screening"]) == (
            handoff_id, "Kinderalimentatie", "Twenterand", "Webchat", "deskundige (geld, wonen)")
        assert "conversation_id" not in item and api["mine"] == []

        # Zwolle cannot take a Twenterand request, not even by posting its id.
        status, _, page = await console.post("zoe", f"/console/overnemen/{handoff_id}")
        assert status == 409 and "staat niet meer in de wachtrij" in page
        assert status_of(handoff_id) == ("waiting", None)
        assert texts()["expert_joined"] not in console.channel.texts()

    run(sqlite_store, scenario)


def test_anonymous_visitors_see_nothing(sqlite_store):
    async def scenario(console: Console) -> None:
        handoff_id = await console.queue_parent("ouder-1")
        client = TestClient(console.server)
        await client.start_server()
        console.clients["anonymous"] = client
        for path in ("/console/wachtrij", "/console/api/wachtrij", "/console/events", f"/console/gesprek/{handoff_id}"):
            response = await client.get(path, allow_redirects=False)
            assert response.status in (303, 401), path
            assert handoff_id not in await response.text()
        response = await client.post(f"/console/overnemen/{handoff_id}", allow_redirects=False)
        assert response.status in (401, 403)
        assert status_of(handoff_id) == ("waiting", None)

    run(sqlite_store, scenario)


# --- take, chat, hand back, close -----------------------------------------------------------------


def test_take_chat_both_ways_and_hand_back(sqlite_store):
    add_account("anne")

    async def scenario(console: Console) -> None:
        await console.login("anne")
        handoff_id = await console.queue_parent("ouder-1")
        conversation_id = console.conversation_id("ouder-1")
        console.rasa.trackers[conversation_id] = [
            {"event": "action", "name": "action_listen", "timestamp": 1.0},
            {"event": "bot", "text": "Waar gaat je vraag over?", "timestamp": 2.0,
             "data": {"buttons": [{"title": "Bel me terug", "payload": "/request_callback"}]}},
            {"event": "user", "text": "/request_callback", "timestamp": 3.0},
            {"event": "user", "text": "ik wil een mens twenterand", "timestamp": 4.0},
            {"event": "bot", "text": "Ik zet je door naar een medewerker.", "timestamp": 5.0},
        ]
        await console.router.from_user("web", "ouder-1", "mijn nummer is 0612345678, help")

        status, location, _ = await console.post("anne", f"/console/overnemen/{handoff_id}")
        assert (status, location) == (303, f"/console/gesprek/{handoff_id}")
        assert status_of(handoff_id) == ("taken", "anne")
        joined = [m for _, m in console.channel.delivered if m.get("text") == texts()["expert_joined"]]
        assert joined == [{"text": texts()["expert_joined"], "from": "expert"}]
        # A second click (double submit) just opens the chat again.
        assert (await console.post("anne", f"/console/overnemen/{handoff_id}"))[:2] == (303, location)

        status, page = await console.get("anne", location)
        assert status == 200
        order = ["Waar gaat je vraag over?", "[knop] Bel me terug", "ik wil een mens twenterand",
                 "Ik zet je door naar een medewerker.", "mijn nummer is [telefoonnummer], help"]
        positions = [page.find(text) for text in order]
        assert -1 not in positions and positions == sorted(positions), positions
        assert "0612345678" not in page and "ouder-1" not in page
        for shown in ("Kinderalimentatie", "Twenterand", "Webchat", "deskundige (geld, wonen)",
                      "Teruggeven aan de bot", "Gesprek sluiten", 'aria-live="polite"'):
            assert shown in page, shown
        # Back in the queue page the chat is listed as the expert's own.
        mine = (await (await console.clients["anne"].get("/console/api/wachtrij")).json())["mine"]
        assert [item["id"] for item in mine] == [handoff_id]

        status, location, _ = await console.post("anne", f"/console/gesprek/{handoff_id}/bericht",
                                                 tekst="Hoi, ik ben er. <b>Hoe gaat het?</b>")
        assert (status, location) == (303, f"/console/gesprek/{handoff_id}#bericht")
        assert console.channel.delivered[-1] == (
            "ouder-1", {"text": "Hoi, ik ben er. <b>Hoe gaat het?</b>", "from": "expert"})
        response = await console.clients["anne"].post(
            f"/console/gesprek/{handoff_id}/bericht", data={"tekst": "Met JavaScript"},
            headers={"X-CSRF-Token": console.csrf["anne"], "Accept": "application/json"})
        assert (response.status, await response.json()) == (200, {"ok": True})
        assert console.channel.delivered[-1][1] == {"text": "Met JavaScript", "from": "expert"}
        for text, error in (("   ", "Typ eerst een bericht."), ("a" * 2001, "te lang")):
            status, _, page = await console.post("anne", f"/console/gesprek/{handoff_id}/bericht", tekst=text)
            assert status == 400 and error in page
        assert console.channel.delivered[-1][1]["text"] == "Met JavaScript"

        await console.router.from_user("web", "ouder-1", "Het gaat wel")
        assert console.rasa.sent[-1][1] != "Het gaat wel"  # in HUMAN mode the bot stays silent
        page = (await console.get("anne", f"/console/gesprek/{handoff_id}"))[1]
        assert page.index("Met JavaScript") < page.index("Het gaat wel")
        assert "&lt;b&gt;Hoe gaat het?&lt;/b&gt;" in page

        status, location, _ = await console.post("anne", f"/console/gesprek/{handoff_id}/teruggeven")
        assert (status, location) == (303, "/console/wachtrij?klaar=teruggegeven")
        assert console.rasa.executed == [(conversation_id, "utter_back_to_bot"), (conversation_id, "action_listen")]
        assert console.channel.texts()[-1] == "uitgevoerd: utter_back_to_bot"
        assert mode_of(conversation_id) == "bot" and status_of(handoff_id) == ("closed", "anne")
        assert "teruggegeven aan de digitale assistent" in (await console.get("anne", location))[1]

        # Afterwards: no form, no transcript, and nothing reaches the parent any more.
        status, page = await console.get("anne", f"/console/gesprek/{handoff_id}")
        assert status == 200 and "afgelopen" in page and "Het gaat wel" not in page and "<textarea" not in page
        delivered = len(console.channel.delivered)
        status, _, page = await console.post("anne", f"/console/gesprek/{handoff_id}/bericht", tekst="Nog iets")
        assert status == 400 and "afgelopen" in page and len(console.channel.delivered) == delivered
        await console.router.from_user("web", "ouder-1", "hoe werkt alimentatie")
        assert console.rasa.sent[-1] == (conversation_id, "hoe werkt alimentatie")

    run(sqlite_store, scenario)


def test_close_by_the_expert(sqlite_store):
    add_account("anne")

    async def scenario(console: Console) -> None:
        await console.login("anne")
        handoff_id = await console.queue_parent("ouder-1")
        assert (await console.post("anne", f"/console/overnemen/{handoff_id}"))[0] == 303
        status, location, _ = await console.post("anne", f"/console/gesprek/{handoff_id}/sluiten")
        assert (status, location) == (303, "/console/wachtrij?klaar=gesloten")
        assert console.channel.delivered[-1][1]["text"] == texts()["expert_closed"]
        assert console.rasa.executed == []
        assert mode_of(console.conversation_id("ouder-1")) == "bot"
        assert status_of(handoff_id) == ("closed", "anne")
        # Closing twice changes nothing and tells the parent nothing twice.
        delivered = len(console.channel.delivered)
        assert (await console.post("anne", f"/console/gesprek/{handoff_id}/sluiten"))[0] == 303
        assert len(console.channel.delivered) == delivered

    run(sqlite_store, scenario)


def test_only_the_expert_who_took_it_may_open_the_chat(sqlite_store):
    add_account("anne")
    add_account("ben")
    add_account("cora", role="coordinator", municipality="*")

    async def scenario(console: Console) -> None:
        for name in ("anne", "ben", "cora"):
            await console.login(name)
        handoff_id = await console.queue_parent("ouder-1")
        await console.router.from_user("web", "ouder-1", "geheim verhaal")
        assert (await console.post("anne", f"/console/overnemen/{handoff_id}"))[0] == 303

        status, _, page = await console.post("ben", f"/console/overnemen/{handoff_id}")
        assert status == 409 and "Een collega heeft dit gesprek al overgenomen." in page
        assert status_of(handoff_id) == ("taken", "anne")
        delivered = len(console.channel.delivered)
        for name in ("ben", "cora"):
            status, page = await console.get(name, f"/console/gesprek/{handoff_id}")
            assert status == 403 and "geheim verhaal" not in page
            for action in ("bericht", "teruggeven", "sluiten"):
                status, _, page = await console.post(name, f"/console/gesprek/{handoff_id}/{action}", tekst="hoi")
                assert status == 403, (name, action)
        assert len(console.channel.delivered) == delivered and console.rasa.executed == []
        assert status_of(handoff_id) == ("taken", "anne")
        assert (await console.get("anne", "/console/gesprek/no-such-id"))[0] == 404

    run(sqlite_store, scenario)


def test_a_parent_who_left_cannot_be_taken(sqlite_store):
    add_account("anne")

    async def scenario(console: Console) -> None:
        await console.login("anne")
        handoff_id = await console.queue_parent("ouder-1")
        await console.router.from_user("web", "ouder-1", "terug naar de bot")
        status, _, page = await console.post("anne", f"/console/overnemen/{handoff_id}")
        assert status == 409 and "De ouder wacht niet meer." in page
        assert status_of(handoff_id) == ("cancelled", None)
        assert texts()["expert_joined"] not in console.channel.texts()

    run(sqlite_store, scenario)


def test_html_from_a_parent_is_escaped(sqlite_store):
    add_account("anne")

    async def scenario(console: Console) -> None:
        await console.login("anne")
        handoff_id = await console.queue_parent("ouder-1")
        with session_scope() as session:
            session.get(HandoffRequest, handoff_id).topic = XSS  # a slot a parent could fill
        console.rasa.trackers[console.conversation_id("ouder-1")] = [
            {"event": "user", "text": XSS, "timestamp": 1.0}]
        await console.router.from_user("web", "ouder-1", XSS)
        queue_page = (await console.get("anne", "/console/wachtrij"))[1]
        await console.post("anne", f"/console/overnemen/{handoff_id}")
        chat_page = (await console.get("anne", f"/console/gesprek/{handoff_id}"))[1]
        for page in (queue_page, chat_page):
            assert "<script>alert" not in page and "<img src=x" not in page
            assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in page
        # The context (topic), the line from Rasa and the live message: all escaped.
        assert chat_page.count("&lt;script&gt;") == 3

    run(sqlite_store, scenario)


def test_rasa_down_still_shows_the_live_chat(sqlite_store):
    add_account("anne")

    async def scenario(console: Console) -> None:
        await console.login("anne")
        handoff_id = await console.queue_parent("ouder-1")
        await console.router.from_user("web", "ouder-1", "ben je daar?")
        await console.post("anne", f"/console/overnemen/{handoff_id}")
        console.rasa.fail = True
        status, page = await console.get("anne", f"/console/gesprek/{handoff_id}")
        assert status == 200 and "niet te laden" in page and "ben je daar?" in page

    run(sqlite_store, scenario)


# --- live updates ---------------------------------------------------------------------------------


def test_live_stream_sends_each_expert_only_their_events(sqlite_store):
    add_account("anne")
    add_account("ben")
    add_account("zoe", municipality="zwolle")

    async def scenario(console: Console) -> None:
        streams = {}
        for name in ("anne", "ben", "zoe"):
            streams[name] = await open_stream(await console.login(name))
        first = await console.queue_parent("ouder-1")
        for name in ("anne", "ben"):
            event = await next_event(streams[name])
            assert (event["event"], event["type"], event["handoff_id"]) == ("queue", "queued", first)
        assert (await console.post("anne", f"/console/overnemen/{first}"))[0] == 303
        await console.router.from_user("web", "ouder-1", "bel me op 0612345678")
        await console.post("anne", f"/console/gesprek/{first}/bericht", tekst="Dat doe ik")
        in_zwolle = await console.queue_parent("ouder-2", municipality="zwolle")
        second = await console.queue_parent("ouder-3")

        anne = [await next_event(streams["anne"]) for _ in range(4)]
        assert [(e["event"], e.get("type") or e.get("author")) for e in anne] == [
            ("queue", "taken"), ("message", "user"), ("message", "expert"), ("queue", "queued")]
        assert (anne[1]["text"], anne[1]["who"], anne[1]["handoff_id"]) == ("bel me op [telefoonnummer]", "Ouder", first)
        assert (anne[2]["text"], anne[2]["who"]) == ("Dat doe ik", "Medewerker")
        assert anne[3]["handoff_id"] == second
        # Ben sees the queue change, never the chat he did not take.
        ben = [await next_event(streams["ben"]) for _ in range(2)]
        assert [(e["event"], e["type"], e["handoff_id"]) for e in ben] == [
            ("queue", "taken", first), ("queue", "queued", second)]
        # Zwolle hears nothing of Twenterand: its first event is its own request.
        zoe = await next_event(streams["zoe"])
        assert (zoe["event"], zoe["type"], zoe["handoff_id"]) == ("queue", "queued", in_zwolle)

        # The parent goes back to the bot: Anne's chat page hears that it ended.
        await console.router.from_user("web", "ouder-1", "terug naar de bot")
        events = [await next_event(streams["anne"]) for _ in range(2)]
        assert [(e["event"], e.get("type") or e.get("reason")) for e in events] == [("queue", "left"), ("ended", "left")]
        assert {e["handoff_id"] for e in events} == {first}

    run(sqlite_store, scenario)


def test_a_reconnecting_stream_gets_what_it_missed(sqlite_store):
    add_account("anne")

    async def scenario(console: Console) -> None:
        client = await console.login("anne")
        stream = await open_stream(client)
        first = await console.queue_parent("ouder-1")
        seen = await next_event(stream)
        assert seen["handoff_id"] == first and seen["id"]
        stream.close()
        second = await console.queue_parent("ouder-2")  # while the browser reconnects
        third = await console.queue_parent("ouder-3")
        again = await open_stream(client, **{"Last-Event-ID": seen["id"]})
        assert [(await next_event(again))["handoff_id"] for _ in range(2)] == [second, third]
        # An id from another process (or a made-up one) replays nothing.
        fresh = await open_stream(client, **{"Last-Event-ID": "00000000-0"})
        fourth = await console.queue_parent("ouder-4")
        assert (await next_event(fresh))["handoff_id"] == fourth

    run(sqlite_store, scenario)


def test_an_erased_conversation_ends_the_chat_and_is_not_replayed(sqlite_store):
    add_account("anne")

    async def scenario(console: Console) -> None:
        client = await console.login("anne")
        stream = await open_stream(client)
        handoff_id = await console.queue_parent("ouder-1")
        queued = await next_event(stream)
        await console.post("anne", f"/console/overnemen/{handoff_id}")
        await console.router.from_user("web", "ouder-1", "mijn verhaal")
        assert [(await next_event(stream))["event"] for _ in range(2)] == ["queue", "message"]
        await console.router.new_conversation("web", "ouder-1")  # "Nieuw gesprek" in the widget
        changed, ended = await next_event(stream), await next_event(stream)
        assert (changed["event"], changed["type"], changed["handoff_id"]) == ("queue", "erased", handoff_id)
        assert (ended["event"], ended["reason"], ended["handoff_id"], ended["id"]) == ("ended", "erased", handoff_id, None)
        # A browser reconnecting from before the chat gets nothing of it any more.
        other = await console.queue_parent("ouder-2")
        again = await open_stream(client, **{"Last-Event-ID": queued["id"]})
        assert (await next_event(again))["handoff_id"] == other

    run(sqlite_store, scenario)


def test_heartbeat_and_logout_end_the_stream(sqlite_store):
    add_account("anne")

    async def scenario(console: Console) -> None:
        console.app["console"][hub.HUB_KEY].heartbeat = 0.05
        client = await console.login("anne")
        stream = await open_stream(client)
        assert await asyncio.wait_for(stream.content.readuntil(b"\n\n"), 10) == b": heartbeat\n\n"
        assert (await console.post("anne", "/console/uitloggen"))[0] == 303
        assert await next_event(stream) == {}  # the stream ends once the session is gone
        assert not console.app["console"][hub.HUB_KEY].subscribers

    run(sqlite_store, scenario)


# --- building blocks ------------------------------------------------------------------------------


def test_transcript_merges_rasa_and_the_live_chat_in_time_order():
    at = datetime(2030, 3, 4, 9, 0, 3, tzinfo=timezone.utc)
    events = [
        {"event": "user", "text": "/greet", "timestamp": at.timestamp() - 3},  # the widget opened: not shown
        {"event": "bot", "text": "Kies een onderwerp", "timestamp": at.timestamp() - 2,
         "data": {"buttons": [{"title": "Omgang en gezag", "payload": "/topic{\"topic\": \"omgang\"}"}]}},
        {"event": "user", "text": '/topic{"topic": "omgang"}', "timestamp": at.timestamp() - 1},
        {"event": "user", "text": "/onbekend", "timestamp": at.timestamp()},
        {"event": "user", "text": "/request_human", "timestamp": at.timestamp()},
        {"event": "slot", "name": "topic", "value": "omgang", "timestamp": at.timestamp()},
        {"event": "bot", "text": None, "data": {"custom": {"handoff": {}}}, "timestamp": at.timestamp()},
        {"event": "user", "text": "mail me op iemand@example.nl", "timestamp": at.timestamp() + 5},
    ]
    live_messages = [LiveMessage(author="expert", text="Hallo", created_at=at),
                     LiveMessage(author="user", text="Hoi", created_at=at.replace(second=9))]
    lines = live.transcript(events, live_messages)
    assert [(line.author, line.text) for line in lines] == [
        ("bot", "Kies een onderwerp"), ("user", "[knop] Omgang en gezag"), ("user", "[knop] onbekend"),
        ("user", "[knop] Praat met een mens"), ("expert", "Hallo"), ("user", "mail me op [e-mailadres]"), ("user", "Hoi")]
    assert lines[0].buttons == ("Omgang en gezag",) and lines[0].who == "Digitale assistent"
    assert lines[4].time == "10:00"  # Dutch time, winter


def test_waiting_text():
    assert [live.waiting_text(s) for s in (-5, 0, 59, 60, 119, 600, 3600, 3660, 7320)] == [
        "minder dan een minuut", "minder dan een minuut", "minder dan een minuut", "1 minuut", "1 minuut",
        "10 minuten", "1 uur", "1 uur en 1 minuut", "2 uur en 2 minuten"]


def _view(**changes) -> HandoffView:
    fields = dict(id="h1", conversation_id="c1", municipality="twenterand", channel="web", topic=None,
                  reason=None, screening_level=None, screening_domains=(), status="taken",
                  created_at=datetime(2030, 3, 4, tzinfo=timezone.utc), taken_by="anne", taken_at=None)
    return HandoffView(**{**fields, **changes})


def test_outgoing_events_per_account():
    from bot.console.auth import Account

    anne = Account(1, "anne", "expert", "twenterand", "scheidingsdeskundige", "Scheidingsdeskundige")
    ben = Account(2, "ben", "expert", "twenterand", "scheidingsdeskundige", "Scheidingsdeskundige")
    cora = Account(3, "cora", "coordinator", "*", None, None)
    zoe = Account(4, "zoe", "expert", "zwolle", "scheidingsdeskundige", "Scheidingsdeskundige")
    message = {"type": "message", "author": "user", "text": "hoi"}
    assert [name for name, _ in hub.outgoing(anne, _view(), message)] == ["message"]
    for other in (ben, cora, zoe):
        assert hub.outgoing(other, _view(), message) == []
    closed = {"type": "closed"}
    assert [name for name, _ in hub.outgoing(anne, _view(), closed)] == ["queue", "ended"]
    assert [name for name, _ in hub.outgoing(cora, _view(), closed)] == ["queue"]
    assert hub.outgoing(zoe, _view(), closed) == []
    assert hub.outgoing(anne, _view(), {"type": "something_else"}) == []


def test_context_without_screening_or_topic():
    described = live.describe(_view(channel="telegram", topic="omgang"), now=None)
    assert (described["topic"], described["channel"], described["screening"], described["reason"]) == (
        "Omgang en gezag", "Telegram", "niet gedaan", "niet bekend")
    assert live.describe(_view(topic=None, channel=None))["topic"] == "geen onderwerp gekozen"
    assert live.describe(_view(screening_level="advies"))["screening"] == "advies"


def test_a_safety_signal_reaches_the_expert_as_a_note_and_refreshes_the_queue():
    from bot.console.auth import Account

    anne = Account(1, "anne", "expert", "twenterand", "scheidingsdeskundige", "Scheidingsdeskundige")
    cora = Account(3, "cora", "coordinator", "*", None, None)
    note = {"type": "message", "author": "system", "text": "Let op"}
    sent = hub.outgoing(anne, _view(), note)
    assert [name for name, _ in sent] == ["message"] and sent[0][1]["who"] == "Melding"
    assert hub.outgoing(cora, _view(), note) == []  # only the expert in the chat reads the chat
    flagged = {"type": "safety", "signal": "safety_violence"}
    assert [name for name, _ in hub.outgoing(cora, _view(status="waiting", taken_by=None), flagged)] == ["queue"]
