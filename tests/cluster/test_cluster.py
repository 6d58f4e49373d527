"""The production topology (bot/cluster/, `make cluster`) started for real on loopback, under load:
haproxy, 2 gateways, 2 Rasa servers, 2 action servers, PostgreSQL and Redis under supervisord.

One cluster for the module (two Rasa servers load their model at once: about a minute and a half on
2 cores). First a bounded load: nothing lost, nothing out of order, both replicas of each kind used.
Then one fault each during a bounded load: kill -9 a Rasa server, an action server, a gateway; restart
PostgreSQL; restart Redis. Every conversation goes on: a message in flight is answered or gets the
gateway's friendly text (a gateway's own connections drop and reconnect to the other one, with their
session id), the next messages are answered normally, and a callback booked during the fault is
stored exactly once. Supervisord starts what was killed again; haproxy routes around it meanwhile.

Slow (tests/conftest.py marks the folder): needs the trained model, PostgreSQL, Redis and haproxy.
Sizes and measured times: README, "Production topology".
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg2
import pytest

from benchmarks.cluster import (
    CALLBACK_SCRIPT,
    Conversation,
    Load,
    faq_conversations,
    faq_script,
    reference_answers,
    report,
)
from bot.cluster.config import HOST, Ports
from bot.cluster.run import Cluster

REPO = Path(__file__).resolve().parents[2]
MODEL = REPO / "models" / "scheidingspunt.tar.gz"
LOAD_CONVERSATIONS, LOAD_TURNS = 40, 5
# The conversations under a fault talk for about 4 s (0.15-0.2 s a turn): the fault lands in the middle of
# every one of them (with 10 turns it came as some were sending their last message).
FAULT_CONVERSATIONS, FAULT_TURNS, CALLBACKS = 12, 20, 2
FAULT_AFTER = 1.5  # seconds into the load
RECOVER_SECONDS = 240  # a killed Rasa server is started again and loads its model


@pytest.fixture(scope="module")
def cluster(request: pytest.FixtureRequest) -> Iterator[Cluster]:
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run the suite with `make test`, which trains it first")
    var = Path(tempfile.mkdtemp(prefix="scheidingspunt-cluster-"))
    running = Cluster.create(var, ports=Ports.free(), model=MODEL)
    started = time.monotonic()
    try:
        running.start()
    except BaseException:
        print(running.tail())
        running.stop()
        raise
    print(f"\ncluster started in {time.monotonic() - started:.0f} s "
          f"(infrastructure {running.started_seconds['infrastructure']:.0f} s)")
    yield running
    running.stop()
    if request.session.testsfailed:
        print(f"the cluster's logs are kept in {var / 'log'}")
    else:
        shutil.rmtree(var, ignore_errors=True)


@pytest.fixture(scope="module")
def urls(cluster: Cluster) -> tuple[str, str]:
    ports = cluster.topology.ports
    return f"http://{HOST}:{ports.public}", f"http://{HOST}:{ports.rasa}"


@pytest.fixture(scope="module")
def expected(urls) -> dict[str, list[list[dict]]]:
    """The answers of the two scripts in a fresh conversation over Rasa's REST channel."""
    return {"faq": asyncio.run(reference_answers(urls[1], faq_script(max(LOAD_TURNS, FAULT_TURNS)))),
            "callback": asyncio.run(reference_answers(urls[1], CALLBACK_SCRIPT))}


@pytest.fixture
def healthy(cluster: Cluster) -> Cluster:
    """Every program running and every server up in haproxy (what the previous test killed is back)."""
    deadline = time.monotonic() + RECOVER_SECONDS
    while True:
        try:
            cluster.wait_ready(max(1.0, deadline - time.monotonic()))
            return cluster
        except RuntimeError:
            if time.monotonic() > deadline:
                raise


def served(cluster: Cluster, backend: str) -> dict[str, int]:
    """Per server of a haproxy backend: requests answered with 2xx, or connections for the gateways
    (a WebSocket is one request that lasts the whole chat)."""
    column = "stot" if backend == "gateways" else "hrsp_2xx"
    return {row["svname"]: int(row[column] or 0) for row in cluster.haproxy_stats()
            if row["pxname"] == backend and row["svname"] not in ("FRONTEND", "BACKEND")}


def callbacks_of(cluster: Cluster, conversation: Conversation) -> int:
    secret = cluster.topology.secrets.gateway_secret.encode()
    sender = "web-" + hmac.new(secret, f"web:{conversation.session_id}".encode(), hashlib.sha256).hexdigest()[:32]
    with psycopg2.connect(cluster.topology.database_url()) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM callbacks WHERE conversation_id = %s", (sender,))
        return cursor.fetchone()[0]


def kill(cluster: Cluster, program: str, killed: list[int]) -> Callable[[], None]:
    def run() -> None:
        pid = cluster.pid(program)
        assert pid, f"{program} is not running"
        os.kill(pid, signal.SIGKILL)
        killed.append(pid)
    return run


def assert_started_again(cluster: Cluster, program: str, killed: list[int]) -> None:
    """supervisord started the killed program again (it may still be loading)."""
    deadline = time.monotonic() + 30
    while cluster.pid(program) in (0, *killed):
        assert time.monotonic() < deadline, cluster.ctl("status")
        time.sleep(0.5)


def restart(cluster: Cluster, program: str) -> Callable[[], object]:
    async def run() -> None:
        await asyncio.to_thread(cluster.ctl, "restart", program)
    return run


def faulty_load(cluster: Cluster, urls, expected, fault: Callable[[], object], after: float = FAULT_AFTER,
                callbacks_after: float = 0.0) -> Load:
    """FAQ conversations and callback bookings at once, with `fault` after `after` seconds; the
    bookings start after `callbacks_after` seconds."""
    public = urls[0]
    conversations = faq_conversations(public, expected["faq"][:FAULT_TURNS], FAULT_CONVERSATIONS)
    conversations += [Conversation(FAULT_CONVERSATIONS + n, public, CALLBACK_SCRIPT, expected["callback"],
                                   retry_friendly=True, delay=callbacks_after,
                                   loose=True) for n in range(CALLBACKS)]
    load = Load(conversations)
    started = time.monotonic()
    asyncio.run(load.run(fault, after))
    print(f"\n{report(load.outcome, 'under the fault')} ({time.monotonic() - started:.0f} s)")
    # The fault came while the conversations were still talking.
    assert load.outcome["fault_at_s"] < load.outcome["wall_s"] - 1, load.outcome
    return load


def assert_carried_on(cluster: Cluster, load: Load, *, may_drop: bool = False) -> None:
    outcome = load.outcome
    assert not outcome["errors"], outcome
    assert outcome["lost"] == outcome["wrong"] == outcome["out_of_order"] == outcome["extra_answers"] == 0, outcome
    if not may_drop:
        assert outcome["interrupted"] == 0, outcome
    for conversation in load.conversations:
        turns = conversation.turns
        # Whatever went wrong, went wrong once: the conversation's last message is answered normally.
        assert turns and turns[-1].status == "ok", (conversation.number, [t.status for t in turns])
        troubled = [t.status for t in turns if t.status not in ("ok", "offered_again", "after_retry")]
        assert len(troubled) <= 2, (conversation.number, [t.status for t in turns])
        if conversation.script is CALLBACK_SCRIPT:
            assert conversation.reference(), conversation.answers
            assert callbacks_of(cluster, conversation) == 1, conversation.answers


# --- load --------------------------------------------------------------------------------------

def test_load_is_answered_in_order_over_both_replicas(healthy, urls, expected):
    before = {backend: served(healthy, backend) for backend in ("gateways", "rasa")}
    load = Load(faq_conversations(urls[0], expected["faq"][:LOAD_TURNS], LOAD_CONVERSATIONS))
    outcome = asyncio.run(load.run())
    print(f"\n{report(outcome)}")
    assert not outcome["errors"], outcome
    assert outcome["ok"] == LOAD_CONVERSATIONS * LOAD_TURNS, outcome
    assert outcome["out_of_order"] == outcome["lost"] == outcome["extra_answers"] == 0, outcome
    for backend, counts in before.items():
        after = served(healthy, backend)
        used = {server: after[server] - counts[server] for server in after}
        print(f"{backend}: {used}")
        assert len(used) == 2 and all(n > 0 for n in used.values()), (backend, used)


# --- faults ------------------------------------------------------------------------------------

def test_a_rasa_server_killed(healthy, urls, expected):
    killed: list[int] = []
    load = faulty_load(healthy, urls, expected, kill(healthy, "rasa-1", killed))
    assert_carried_on(healthy, load)
    assert_started_again(healthy, "rasa-1", killed)


def test_an_action_server_killed(healthy, urls, expected):
    # The callback bookings are what calls the action servers; kill while they book.
    killed: list[int] = []
    load = faulty_load(healthy, urls, expected, kill(healthy, "actions-1", killed))
    assert_carried_on(healthy, load)
    assert_started_again(healthy, "actions-1", killed)


def test_a_gateway_killed(healthy, urls, expected):
    # The bookings start once the gateway is dead: a message whose gateway died under it is gone (its
    # connection dropped) and the parent sends the next one; a booking has to go through on the other.
    killed: list[int] = []
    load = faulty_load(healthy, urls, expected, kill(healthy, "gateway-1", killed), callbacks_after=FAULT_AFTER + 0.5)
    assert_carried_on(healthy, load, may_drop=True)
    assert_started_again(healthy, "gateway-1", killed)
    assert load.outcome["reconnects"] > 0, load.outcome


def test_postgresql_restarted(healthy, urls, expected):
    load = faulty_load(healthy, urls, expected, restart(healthy, "postgres"))
    assert_carried_on(healthy, load)


def test_redis_restarted(healthy, urls, expected):
    load = faulty_load(healthy, urls, expected, restart(healthy, "redis"))
    assert_carried_on(healthy, load)


def test_no_log_holds_what_a_parent_wrote(cluster):
    """After the load and every fault (Rasa failing on messages while Redis or PostgreSQL restarted), no
    process's log quotes a question or the callback's phone number."""
    written = {text for text in faq_script(FAULT_TURNS) if len(text) > 12} | {"1234 5678", "12345678"}
    for log in sorted((cluster.topology.var / "log").glob("*.log")):
        content = log.read_text(errors="replace")
        found = sorted(text for text in written if text in content)
        assert not found, f"{log.name}: {found}"
