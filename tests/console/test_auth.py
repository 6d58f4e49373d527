"""Console login: the login page, sessions, logout, roles, the availability sweep, password hashes."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from argon2 import PasswordHasher
from sqlalchemy import select

from bot.console import accounts, auth
from bot.console.texts import text
from bot.store import records
from bot.store.db import session_scope
from bot.store.models import ConsoleSession, ExpertAccount, ExpertAvailability
from tests.console.harness import (
    PASSWORD,
    add_account,
    console_app,
    logged_in,
    login_form_token,
    serve,
    session_cookie,
)


@pytest.fixture
def store(sqlite_store):
    return sqlite_store


def _available(username: str) -> bool:
    with session_scope() as session:
        return accounts.get(session, username).available


def _team_available(municipality: str = "twenterand", role: str = "scheidingsdeskundige") -> bool:
    return any(row.role == role for row in _in_session(records.available_experts, municipality))


def _in_session(function, *args):
    with session_scope() as session:
        return function(session, *args)


def test_login_page_is_dutch_and_labelled(store):
    app, _, _ = console_app(store)

    async def scenario(client):
        page = await client.get("/console/login")
        return page.status, await page.text(), page.headers.getall("Set-Cookie", [])

    status, html, cookies = serve(app, scenario)
    assert status == 200
    assert '<html lang="nl">' in html and "Inloggen voor medewerkers" in html
    assert '<label class="utrecht-form-label console-label" for="gebruikersnaam">Gebruikersnaam</label>' in html
    assert 'for="wachtwoord">Wachtwoord</label>' in html and 'id="wachtwoord"' in html
    assert 'href="#inhoud"' in html and '<main id="inhoud"' in html
    assert "Uitloggen" not in html and "Wachtrij" not in html  # no menu before login
    token = re.search(r'name="csrf" value="([^"]+)"', html).group(1)
    assert any(c.startswith(f"{auth.PRE_COOKIE}={token};") for c in cookies)


def test_login_creates_a_session_that_stores_only_a_hash(store):
    app, _, _ = console_app(store)
    account_id = add_account("anne")

    async def scenario(client):
        csrf = await logged_in(client, "anne")
        home = await client.get("/console/", allow_redirects=False)
        return csrf, session_cookie(client), home.status

    csrf, token, home_status = serve(app, scenario)
    assert home_status in (200, 302, 303) and home_status != 401
    with session_scope() as session:
        row = session.execute(select(ConsoleSession)).scalar_one()
    assert row.account_id == account_id and row.csrf_token == csrf
    assert row.token_hash == auth.token_hash(token) != token
    assert row.expires_at - row.created_at == timedelta(hours=8)


def test_session_hours_come_from_the_environment(store, monkeypatch):
    monkeypatch.setenv("CONSOLE_SESSION_HOURS", "2")
    app, _, _ = console_app(store)
    add_account("anne")
    serve(app, lambda client: logged_in(client, "anne"))
    with session_scope() as session:
        row = session.execute(select(ConsoleSession)).scalar_one()
    assert row.expires_at - row.created_at == timedelta(hours=2)


@pytest.mark.parametrize("value, hours", [("8", 8), ("0.5", 0.5), ("0", 8), ("-3", 8), ("veel", 8), ("9999", 8)])
def test_session_lifetime_setting(monkeypatch, value, hours):
    monkeypatch.setenv("CONSOLE_SESSION_HOURS", value)
    assert auth.session_lifetime() == timedelta(hours=hours)


@pytest.mark.parametrize("username, password", [
    ("anne", "verkeerd-wachtwoord"),  # wrong password
    ("niemand", PASSWORD),  # unknown user: the same message, no user enumeration
    ("anne", ""),
    ("", PASSWORD),
])
def test_wrong_login_says_the_same_for_everyone(store, username, password):
    app, _, _ = console_app(store)
    add_account("anne")

    async def scenario(client):
        csrf = await login_form_token(client)
        response = await client.post("/console/login", allow_redirects=False,
                                     data={"csrf": csrf, "username": username, "password": password})
        return response.status, await response.text(), session_cookie(client)

    status, html, cookie = serve(app, scenario)
    assert status == 401 and text("login.wrong") in html and cookie is None
    assert 'role="alert"' in html


def test_a_deactivated_account_cannot_log_in(store):
    app, _, _ = console_app(store)
    add_account("anne")
    _in_session(accounts.deactivate, "anne")

    async def scenario(client):
        csrf = await login_form_token(client)
        response = await client.post("/console/login", allow_redirects=False,
                                     data={"csrf": csrf, "username": "anne", "password": PASSWORD})
        return response.status

    assert serve(app, scenario) == 401


def test_logged_in_the_login_page_sends_you_on(store):
    app, _, _ = console_app(store)
    add_account("anne")

    async def scenario(client):
        await logged_in(client, "anne")
        page = await client.get("/console/login", allow_redirects=False)
        return page.status, page.headers.get("Location")

    assert serve(app, scenario) == (303, "/console/")


def test_logout_ends_the_session_and_sets_the_expert_away(store):
    app, _, _ = console_app(store)
    account_id = add_account("anne")
    _in_session(accounts.set_available, account_id, True)
    assert _team_available()

    async def with_copied_cookie(client, token):
        client.session.cookie_jar.clear()
        client.session.cookie_jar.update_cookies({auth.COOKIE: token})
        return await client.get("/console/", allow_redirects=False)

    async def scenario(client):
        csrf = await logged_in(client, "anne")
        token = session_cookie(client)
        before = await with_copied_cookie(client, token)  # control: a copy of the cookie works
        out = await client.post("/console/uitloggen", data={"csrf": csrf}, allow_redirects=False)
        after = await with_copied_cookie(client, token)
        return before.headers.get("Location"), out, after, token

    before_location, out, after, token = serve(app, scenario)
    assert before_location != "/console/login"
    assert (out.status, out.headers.get("Location")) == (303, "/console/login?uitgelogd=1")
    assert (after.status, after.headers.get("Location")) == (303, "/console/login")
    assert auth.load_session(token) is None
    assert not _available("anne") and not _team_available()
    with session_scope() as session:
        assert session.execute(select(ConsoleSession)).first() is None


def test_secure_cookie_setting(store, monkeypatch):
    monkeypatch.setenv("CONSOLE_SECURE_COOKIE", "1")
    app, _, _ = console_app(store)

    async def scenario(client):
        page = await client.get("/console/login")
        return page.headers.getall("Set-Cookie")

    assert all("Secure" in cookie for cookie in serve(app, scenario))


def test_roles_and_municipalities():
    expert = auth.Account(1, "anne", "expert", "twenterand", "scheidingsdeskundige", "Scheidingsdeskundige")
    regional = auth.Account(2, "ria", "coordinator", "zwolle", None, None)
    everywhere = auth.Account(3, "carla", "coordinator", "*", None, None)
    assert expert.may_see("twenterand") and not expert.may_see("zwolle") and not expert.may_see(None)
    assert regional.may_see("zwolle") and not regional.may_see("twenterand")
    assert everywhere.may_see("twenterand") and everywhere.may_see("dordrecht")
    assert expert.has_role("expert") and not expert.has_role("coordinator") and not expert.is_coordinator
    assert regional.has_role("expert") and regional.has_role("coordinator")
    assert not auth.Account(4, "x", "onbekend", "zwolle", None, None).has_role("expert")


def test_require_checks_its_role_name():
    with pytest.raises(ValueError):
        auth.require("beheerder")

    async def handler(request):
        return web.Response(text="ok")

    bare, called = auth.require(handler), auth.require()(handler)
    assert bare.console_role == called.console_role == "expert"
    assert auth.require("coordinator")(handler).console_role == "coordinator"


def test_require_refuses_in_the_handler_too():
    # Defence in depth: even without the middleware, `require` refuses anonymous and too-low roles.
    async def handler(request):
        return web.Response(text="geheim")

    guarded = auth.require("coordinator")(handler)
    get, post = make_mocked_request("GET", "/console/x"), make_mocked_request("POST", "/console/x")
    for request in (get, post):
        request["account"], request["csrf_token"] = None, "x"
    with pytest.raises(web.HTTPSeeOther):
        asyncio.run(guarded(get))
    assert asyncio.run(guarded(post)).status == 401
    expert = make_mocked_request("GET", "/console/x")
    expert["account"] = auth.Account(1, "anne", "expert", "twenterand", None, None)
    expert["csrf_token"] = "x"
    assert asyncio.run(guarded(expert)).status == 403


@pytest.mark.parametrize("trust, forwarded, expected", [
    ("", "203.0.113.9", "127.0.0.1"),  # without CONSOLE_TRUST_PROXY the header is ignored
    ("1", "203.0.113.9, 10.0.0.1", "203.0.113.9"),
    ("1", "", "127.0.0.1"),
])
def test_client_address(monkeypatch, trust, forwarded, expected):
    monkeypatch.setenv("CONSOLE_TRUST_PROXY", trust)
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    request = make_mocked_request("POST", "/console/login", headers=headers)
    request._transport_peername = ("127.0.0.1", 50000)
    assert auth.client_address(request) == expected


def test_sweep_sets_away_experts_without_a_live_session(store):
    gone = add_account("anne")
    here = add_account("bert")
    for account_id in (gone, here):
        _in_session(accounts.set_available, account_id, True)
    auth.create_session(here)
    stale_token, _ = auth.create_session(gone)
    with session_scope() as session:
        row = session.execute(select(ConsoleSession).where(ConsoleSession.account_id == gone)).scalar_one()
        row.last_seen = row.last_seen - auth.IDLE  # idle for exactly 30 minutes: ended
    assert auth.sweep() == 1
    assert not _available("anne") and _available("bert") and _team_available()
    assert auth.load_session(stale_token) is None


def test_old_password_hashes_are_upgraded_at_login(store, production_hashing):
    add_account("anne")
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    with session_scope() as session:
        accounts.get(session, "anne").password_hash = weak
    with session_scope() as session:
        assert accounts.verify_password(session, "anne", PASSWORD) is not None
    with session_scope() as session:
        upgraded = accounts.get(session, "anne").password_hash
    assert upgraded != weak and not accounts.HASHER.check_needs_rehash(upgraded)
    with session_scope() as session:
        assert accounts.verify_password(session, "anne", PASSWORD) is not None
        assert accounts.verify_password(session, "anne", PASSWORD + "x") is None


def test_availability_follows_the_team(store):
    anne, bert = add_account("anne"), add_account("bert")
    fin = add_account("fien", expert_role="financieel_preventiemedewerker")
    _in_session(accounts.set_available, anne, True)
    _in_session(accounts.set_available, bert, True)
    _in_session(accounts.set_available, anne, False)
    assert _team_available()  # bert is still there
    assert not _team_available(role="financieel_preventiemedewerker")
    _in_session(accounts.set_available, bert, False)
    assert not _team_available()
    _in_session(accounts.set_available, fin, True)
    with session_scope() as session:
        titles = {(row.role, row.title, row.available) for row in session.execute(select(ExpertAvailability))
                  .scalars()}
    assert titles == {("scheidingsdeskundige", "Scheidingsdeskundige", False),
                      ("financieel_preventiemedewerker", "Financieel preventiemedewerker", True)}


def test_a_coordinator_of_all_municipalities_changes_no_team(store):
    carla = add_account("carla", role="coordinator", municipality="*")
    _in_session(accounts.set_available, carla, True)
    with session_scope() as session:
        assert session.get(ExpertAccount, carla).available
        assert session.execute(select(ExpertAvailability)).first() is None
