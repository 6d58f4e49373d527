"""The Beschikbaar/Afwezig switch: the account, expert_availability (what action_handoff reads), redirects."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp.test_utils import TestClient, TestServer, make_mocked_request
from sqlalchemy import select

from bot.console.availability import back_to
from bot.store import records
from bot.store.db import session_scope
from bot.store.models import ExpertAccount, ExpertAvailability
from tests.console.harness import add_account, console_app, logged_in

ROLE = "scheidingsdeskundige"
JSON = {"Accept": "application/json"}


@pytest.fixture
def app(sqlite_store):
    return console_app(sqlite_store)[0]


def team_available(municipality: str = "twenterand", role: str = ROLE) -> bool | None:
    """expert_availability for the team; None when there is no row."""
    with session_scope() as session:
        row = session.execute(select(ExpertAvailability).where(
            ExpertAvailability.municipality == municipality, ExpertAvailability.role == role)).scalar_one_or_none()
        return None if row is None else row.available


def account_available(username: str) -> bool:
    with session_scope() as session:
        return session.execute(select(ExpertAccount.available).where(ExpertAccount.username == username)).scalar_one()


def run(app, scenario):
    async def main():
        async with TestClient(TestServer(app)) as client:
            return await scenario(client)

    return asyncio.run(main())


async def switch(client, csrf: str, value: str, **headers):
    return await client.post("/console/beschikbaarheid", allow_redirects=False, headers=headers,
                             data={"csrf": csrf, "available": value})


def test_switching_on_makes_the_team_available_for_action_handoff(app):
    add_account("anne")

    async def scenario(client):
        csrf = await logged_in(client, "anne")
        referer = str(client.make_url("/console/terugbellen?x=1"))
        on = await switch(client, csrf, "1", Referer=referer)
        header = await (await client.get("/console/terugbellen")).text()
        return on.status, on.headers.get("Location"), header

    status, location, header = run(app, scenario)
    assert (status, location) == (303, "/console/terugbellen?x=1")
    assert account_available("anne") is True and team_available() is True
    with session_scope() as session:  # exactly what action_handoff asks
        assert [(row.role, row.title) for row in records.available_experts(session, "twenterand")] == [
            (ROLE, "Scheidingsdeskundige")]
        assert records.available_experts(session, "zwolle") == []
    assert "Zet mij op afwezig" in header


def test_the_team_stays_available_while_one_of_its_experts_is(app):
    add_account("anne")
    add_account("bert")
    add_account("fien", expert_role="financieel_preventiemedewerker")

    async def scenario(client):
        anne = await logged_in(client, "anne")
        await switch(client, anne, "1")
        client.session.cookie_jar.clear()
        bert = await logged_in(client, "bert")
        await switch(client, bert, "1")
        await switch(client, bert, "0")
        after_bert = team_available()
        client.session.cookie_jar.clear()
        anne = await logged_in(client, "anne")
        await switch(client, anne, "0")
        return after_bert

    assert run(app, scenario) is True  # bert went away, anne was still there
    assert team_available() is False
    assert team_available(role="financieel_preventiemedewerker") is None  # fien never switched


def test_logout_sets_the_expert_away(app):
    add_account("anne")

    async def scenario(client):
        csrf = await logged_in(client, "anne")
        await switch(client, csrf, "1")
        before = team_available()
        out = await client.post("/console/uitloggen", data={"csrf": csrf}, allow_redirects=False)
        return before, out.status

    before, logout_status = run(app, scenario)
    assert before is True and logout_status == 303
    assert team_available() is False and account_available("anne") is False


def test_json_answer_refusals_and_the_coordinator_without_a_team(app):
    add_account("anne")
    add_account("coco", role="coordinator", municipality="*")

    async def scenario(client):
        csrf = await logged_in(client, "anne")
        as_json = await switch(client, csrf, "1", **JSON)
        body = await as_json.json()
        nonsense = await switch(client, csrf, "ja")
        without_csrf = await client.post("/console/beschikbaarheid", data={"available": "0"},
                                         allow_redirects=False)
        client.session.cookie_jar.clear()
        anonymous = await client.post("/console/beschikbaarheid", data={"available": "1"}, allow_redirects=False)
        coco = await logged_in(client, "coco")
        coordinator = await switch(client, coco, "1")
        return body, nonsense.status, without_csrf.status, anonymous.status, coordinator.status

    body, nonsense, without_csrf, anonymous, coordinator = run(app, scenario)
    assert body == {"available": True, "label": "Beschikbaar"}
    assert nonsense == 400 and without_csrf == 403 and anonymous in (401, 403)
    assert team_available() is True  # the refused requests changed nothing
    assert coordinator == 303 and account_available("coco") is True
    with session_scope() as session:  # a coordinator of all is no team of its own
        assert session.execute(select(ExpertAvailability.municipality)).scalars().all() == ["twenterand"]


@pytest.mark.parametrize("referer, expected", [
    ("http://console.test/console/wachtrij", "/console/wachtrij"),
    ("/console/cijfers?van=2030-01-01", "/console/cijfers?van=2030-01-01"),
    ("", "/console/"),
    ("http://elders.example/console/wachtrij", "/console/"),
    ("https://console.test.elders.example/console/", "/console/"),
    ("http://console.test/widget/demo", "/console/"),
    ("http://console.test//elders.example/console/", "/console/"),
    ("http://console.test/console//elders.example", "/console/"),
    ("javascript:alert(1)//console/", "/console/"),
    ("http://[::1/console/", "/console/"),
])
def test_back_to_stays_inside_the_console(referer, expected):
    headers = {"Host": "console.test"}
    if referer:
        headers["Referer"] = referer
    assert back_to(make_mocked_request("POST", "/console/beschikbaarheid", headers=headers)) == expected
