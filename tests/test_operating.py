"""Operating the gateway: /metrics (counts, who may read them), /ready, and log lines without personal data.

In process: `build_app` with a fake Rasa (the web chat over a real loopback port where the test needs it).
"""

from __future__ import annotations

import ast
import asyncio
import io
import json
import logging
from pathlib import Path
from unittest import mock

import pytest
import socketio
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer, make_mocked_request
from cryptography.fernet import Fernet
from prometheus_client.parser import text_string_to_metric_families

from bot.gateway import logs, metrics
from bot.gateway.app import Settings, build_app
from bot.gateway.router import Router
from bot.launcher import free_port
from bot.store import handoffs
from bot.store.db import session_scope
from tests.console.harness import add_account, console_app, logged_in
from tests.support.fakes import SECRET, FakeChannel, FakeRasa, handoff_replies
from tests.support.store import book

REPO = Path(__file__).resolve().parent.parent
SUICIDE_REPLY = next(text for text, kind in metrics.safety_texts().items() if kind == metrics.SUICIDE)


def sample(exposition: str, name: str, **labels: str) -> float:
    """One sample's value in a /metrics text; 0 when absent."""
    for family in text_string_to_metric_families(exposition):
        for found in family.samples:
            if found.name == name and found.labels == labels:
                return found.value
    return 0.0


async def scrape(client: TestClient, **headers: str) -> str:
    response = await client.get("/metrics", headers=headers)
    assert response.status == 200, response.status
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    return await response.text()


# --- the counters of a conversation ---------------------------------------------------------------------


def replies(sender: str, text: str) -> list[dict]:
    if "niet meer leven" in text:
        return [{"text": SUICIDE_REPLY}]
    return [{"text": f"antwoord op {text}", "buttons": [{"title": "Ja", "payload": "/affirm"}]},
            {"text": "Nog iets?"}]


def test_a_web_chat_conversation_moves_the_counters_by_exactly_what_happened(sqlite_store):
    rasa = FakeRasa(replies)

    async def scenario() -> tuple[str, str]:
        app = build_app(Settings(secret=SECRET), with_telegram=False)
        app["router"].rasa = app["rasa"] = rasa
        app["webchat"].sio.eio.ping_interval, app["webchat"].sio.eio.ping_timeout = 0.2, 1
        runner = web.AppRunner(app)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port, shutdown_timeout=0.5).start()
        sio = socketio.AsyncClient()
        received: asyncio.Queue = asyncio.Queue()
        confirmed = asyncio.get_running_loop().create_future()
        sio.on("bot_uttered", lambda data: received.put_nowait(data))
        sio.on("session_confirm", lambda sid: confirmed.done() or confirmed.set_result(sid))
        try:
            async with TestClient(TestServer(app_for_scrape(app))) as client:
                before = await scrape(client)
                await sio.connect(f"http://127.0.0.1:{port}", transports=["polling"])
                await sio.emit("session_request", {"session_id": None})
                session_id = await asyncio.wait_for(confirmed, 5)

                async def say(text: str, answers: int) -> None:
                    await sio.emit("user_uttered", {"message": text, "session_id": session_id})
                    for _ in range(answers):
                        await asyncio.wait_for(received.get(), 5)

                await say("hoe werkt alimentatie?", 2)
                await say("ik wil niet meer leven", 1)
                rasa.fail = True
                await say("hallo?", 1)  # Rasa is down: the gateway's own message
                after = await scrape(client)
        finally:
            await sio.eio.disconnect(abort=True)
            await runner.cleanup()
        return before, after

    before, after = asyncio.run(scenario())
    assert sample(before, "scheidingspunt_messages_total", channel="web", direction="in") == 0
    assert sample(after, "scheidingspunt_messages_total", channel="web", direction="in") == 3
    assert sample(after, "scheidingspunt_messages_total", channel="web", direction="out") == 4
    assert sample(after, "scheidingspunt_messages_total", channel="telegram", direction="in") == 0
    assert sample(after, "scheidingspunt_rasa_reply_seconds_count") == 2
    assert sample(after, "scheidingspunt_rasa_errors_total", call="send") == 1
    assert sample(after, "scheidingspunt_safety_answers_total", kind="suicide", source="bot") == 1
    assert sample(after, "scheidingspunt_safety_answers_total", kind="violence", source="bot") == 0
    for text in ("alimentatie", "leven", "hallo", rasa.sent[0][0]):  # no text, no conversation id
        assert text not in after


def app_for_scrape(app: web.Application) -> web.Application:
    """A second app that serves the first one's /metrics, so the test client (loopback) can read it while
    the first one runs on its own port with the web chat."""
    scraper = web.Application()
    metrics.attach(scraper, app["metrics"], token="")
    return scraper


def test_safety_answers_are_known_by_their_responses_in_the_domain():
    kinds = set(metrics.safety_texts().values())
    assert kinds == {metrics.VIOLENCE, metrics.SUICIDE, metrics.WORRY}
    counts = metrics.Metrics(with_store=False)
    counts.bot_replies([{"text": t} for t in metrics.safety_texts()] + [{"text": "iets anders"}, {"custom": {}}])
    exposition = counts.exposition().decode()
    for kind in kinds:
        assert sample(exposition, "scheidingspunt_safety_answers_total", kind=kind, source="bot") == 1


# --- hand-overs ------------------------------------------------------------------------------------------


def test_a_waiting_handoff_shows_in_the_gauge_and_taking_it_observes_the_wait(sqlite_store):
    app, rasa, channel = console_app(sqlite_store, FakeRasa(handoff_replies()))
    add_account("anne")

    async def scenario() -> tuple[str, str, str]:
        async with TestClient(TestServer(app)) as client:
            before = await scrape(client)
            await app["router"].from_user("web", "session-1", "ik wil een mens")
            waiting = await scrape(client)
            with session_scope() as session:
                handoff_id = handoffs.queue(session, "*")[0].id
            csrf = await logged_in(client, "anne")
            response = await client.post(f"/console/overnemen/{handoff_id}", data={"csrf": csrf},
                                         allow_redirects=False)
            assert response.status == 303
            return before, waiting, await scrape(client)

    before, waiting, taken = asyncio.run(scenario())
    assert sample(before, "scheidingspunt_handoffs_waiting", municipality="twenterand") == 0
    assert sample(before, "scheidingspunt_store_up") == 1
    assert sample(waiting, "scheidingspunt_handoffs_waiting", municipality="twenterand") == 1
    assert sample(waiting, "scheidingspunt_handoff_events_total", event="queued") == 1
    assert sample(waiting, "scheidingspunt_handoff_wait_seconds_count", outcome="taken") == 0
    assert sample(taken, "scheidingspunt_handoffs_waiting", municipality="twenterand") == 0
    assert sample(taken, "scheidingspunt_handoff_requests", municipality="twenterand", status="taken") == 1
    assert sample(taken, "scheidingspunt_handoff_events_total", event="taken") == 1
    assert sample(taken, "scheidingspunt_handoff_wait_seconds_count", outcome="taken") == 1
    assert sample(taken, "scheidingspunt_handoff_wait_seconds_bucket", outcome="taken", le="5.0") == 1


def test_an_expired_handoff_observes_its_wait(sqlite_store):
    counts = metrics.Metrics(with_store=False)
    router = Router(FakeRasa(handoff_replies()), secret=SECRET, handoff_timeout=0.05, metrics=counts)
    router.register(FakeChannel())

    async def scenario() -> None:
        await router.from_user("web", "session-1", "ik wil een mens")
        await asyncio.sleep(0.3)
        await router.close()

    asyncio.run(scenario())
    exposition = counts.exposition().decode()
    assert sample(exposition, "scheidingspunt_handoff_events_total", event="expired") == 1
    assert sample(exposition, "scheidingspunt_handoff_wait_seconds_count", outcome="expired") == 1
    assert sample(exposition, "scheidingspunt_handoff_wait_seconds_count", outcome="taken") == 0


def test_callbacks_are_counted_by_municipality_and_status_from_the_store(sqlite_store, monkeypatch):
    monkeypatch.setenv("SCHEIDINGSPUNT_FERNET_KEY", Fernet.generate_key().decode())
    book(sqlite_store)
    exposition = metrics.Metrics().exposition().decode()
    assert sample(exposition, "scheidingspunt_callbacks", municipality="twenterand", status="pending") == 1
    assert "+31" not in exposition and "06-" not in exposition


# --- who may read /metrics -------------------------------------------------------------------------------


def test_metrics_are_refused_to_a_caller_that_is_not_allowed(sqlite_store, monkeypatch):
    async def status(app: web.Application, **headers: str) -> int:
        async with TestClient(TestServer(app)) as client:
            return (await client.get("/metrics", headers=headers)).status

    def app() -> web.Application:
        return build_app(Settings(secret=SECRET), with_telegram=False)

    monkeypatch.delenv("METRICS_TOKEN", raising=False)
    assert asyncio.run(status(app())) == 200  # loopback, no proxy
    assert asyncio.run(status(app(), **{"X-Forwarded-For": "203.0.113.9"})) == 403  # through a proxy
    assert asyncio.run(status(app(), Forwarded="for=203.0.113.9")) == 403
    outside = make_mocked_request("GET", "/metrics", transport=mock.Mock(
        get_extra_info=lambda name, default=None: ("203.0.113.9", 5000) if name == "peername" else default))
    assert outside.remote == "203.0.113.9" and not metrics.allowed(outside, None)

    monkeypatch.setenv("METRICS_TOKEN", "geheim-token-voor-prometheus")
    assert asyncio.run(status(app())) == 403  # with a token configured, loopback is not enough
    assert asyncio.run(status(app(), Authorization="Bearer fout")) == 403
    assert asyncio.run(status(app(), Authorization="Bearer geheim-token-voor-prometheus")) == 200
    assert metrics.allowed(outside, "geheim-token-voor-prometheus") is False


# --- /ready ------------------------------------------------------------------------------------------


async def fake_rasa_server(token: str) -> TestServer:
    async def status(request: web.Request) -> web.Response:
        if request.query.get("token") != token:
            return web.json_response({"message": "no token"}, status=401)
        return web.json_response({"model_file": "x"})

    server_app = web.Application()
    server_app.router.add_get("/status", status)
    server = TestServer(server_app)
    await server.start_server()
    return server


def test_ready_needs_rasa_and_the_store(sqlite_store, monkeypatch):
    async def ready(rasa_url: str, *, break_store: bool = False, token: str = "t0k") -> tuple[int, dict]:
        app = build_app(Settings(secret=SECRET, rasa_url=rasa_url, rasa_token=token), with_telegram=False)
        async with TestClient(TestServer(app)) as client:
            assert (await client.get("/health")).status == 200
            if break_store:
                monkeypatch.setenv("DATABASE_URL", "sqlite:////nonexistent-folder/store.db")
            response = await client.get("/ready")
            monkeypatch.setenv("DATABASE_URL", sqlite_store)
            return response.status, await response.json()

    async def scenario():
        rasa = await fake_rasa_server("t0k")
        try:
            url = str(rasa.make_url("")).rstrip("/")
            return (await ready(url), await ready(url, break_store=True), await ready(url, token="wrong"),
                    await ready(f"http://127.0.0.1:{free_port()}"))
        finally:
            await rasa.close()

    fine, store_broken, wrong_token, rasa_down = asyncio.run(scenario())
    assert fine == (200, {"status": "ready", "checks": {"rasa": "ok", "store": "ok"}})
    assert store_broken == (503, {"status": "not ready", "checks": {"rasa": "ok", "store": "failed"}})
    assert wrong_token[0] == 503 and wrong_token[1]["checks"] == {"rasa": "failed", "store": "ok"}
    assert rasa_down == (503, {"status": "not ready", "checks": {"rasa": "failed", "store": "ok"}})


# --- log lines ---------------------------------------------------------------------------------------


class Words(FakeRasa):
    """A Rasa whose error quotes the parent's words, as some HTTP errors do."""

    async def send(self, sender: str, text: str, metadata: dict | None = None) -> list[dict]:
        raise ValueError(f"could not parse {text!r} from {sender}")


def test_a_json_log_line_has_the_fields_and_no_message_text(sqlite_store):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    logger = logging.getLogger("bot.gateway.router")
    logger.addHandler(handler)
    router = Router(Words(), secret=SECRET)
    router.register(FakeChannel())
    secret_words = "mijn ex slaat me, bel 0612345678 of mail jan@example.nl"
    try:
        asyncio.run(router.from_user("web", "session-1", secret_words))
    finally:
        logger.removeHandler(handler)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    line = json.loads(lines[0])
    assert {"time", "level", "logger", "event", "error", "where"} <= set(line)
    assert line["level"] == "error" and line["logger"] == "bot.gateway.router" and line["error"] == "ValueError"
    assert line["where"].startswith("tests/test_operating.py:")
    for personal in ("slaat", "0612345678", "jan@example.nl", "web-"):
        assert personal not in lines[0]


def test_configure_chooses_the_format_by_log_format(monkeypatch):
    root = logging.getLogger()
    saved, level = list(root.handlers), root.level
    try:
        for chosen, check in (("json", lambda out: json.loads(out)["event"] == "3 wachtend"),
                              ("text", lambda out: out.startswith("time=") and 'event="3 wachtend"' in out)):
            monkeypatch.setenv("LOG_FORMAT", chosen)
            stream = io.StringIO()
            logs.configure(stream=stream)
            logging.getLogger("bot.gateway.app").info("%d wachtend", 3)
            assert check(stream.getvalue().strip()), stream.getvalue()
        monkeypatch.setenv("LOG_FORMAT", "xml")
        with pytest.raises(SystemExit):
            logs.configure()
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved:
            root.addHandler(handler)
        root.setLevel(level)


def test_the_field_cleaner_masks_what_must_not_be_logged():
    cleaned = logs.clean("POST /status?token=abc123 https://api.telegram.org/bot1234:AAx_y-z/send "
                         "0612345678 jan@example.nl")
    for secret in ("abc123", "AAx_y-z", "0612345678", "jan@example.nl"):
        assert secret not in cleaned


SUSPECT = ("text", "message", "phone", "mail", "address", "body", "data", "update", "sender", "payload")
LOG_METHODS = {"debug", "info", "warning", "error", "exception", "critical", "log"}


def log_calls_with_suspect_arguments(folders=("bot/gateway", "bot/console")) -> list[str]:
    """Log calls in the gateway and the console whose arguments name something that may hold what a parent
    or an expert wrote, a phone number or an e-mail address."""
    found = []
    for folder in folders:
        for path in sorted((REPO / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                        and node.func.attr in LOG_METHODS and isinstance(node.func.value, ast.Name)
                        and node.func.value.id in ("log", "logger", "logging")):
                    continue
                if node.args and not isinstance(node.args[0], ast.Constant):
                    found.append(f"{path.relative_to(REPO)}:{node.lineno}: the message is not a fixed string")
                for argument in [*node.args[1:], *(k.value for k in node.keywords)]:
                    names = {n.id for n in ast.walk(argument) if isinstance(n, ast.Name)}
                    names |= {n.attr for n in ast.walk(argument) if isinstance(n, ast.Attribute)}
                    if any(s in name.lower() for name in names for s in SUSPECT):
                        found.append(f"{path.relative_to(REPO)}:{node.lineno}: {ast.unparse(argument)}")
    return found


def test_no_log_call_passes_what_a_person_wrote():
    assert log_calls_with_suspect_arguments() == []


def test_the_log_call_check_finds_a_message_passed(tmp_path, monkeypatch):
    folder = tmp_path / "bot" / "gateway"
    folder.mkdir(parents=True)
    (folder / "bad.py").write_text("log.info('got %s', text)\nlogger.warning(f'{message}')\n"
                                   "log.info('%s', type(error).__name__)\n")
    monkeypatch.setattr(f"{__name__}.REPO", tmp_path)
    assert log_calls_with_suspect_arguments(("bot/gateway",)) == [
        "bot/gateway/bad.py:1: text", "bot/gateway/bad.py:2: the message is not a fixed string"]
