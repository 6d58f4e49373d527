"""Console security: every route needs a login, CSRF on every change, login rate limit, cookies, expiry, roles.

The route tests read the console's own router, so routes added by the page modules are checked too.
"""

from __future__ import annotations

import re
from datetime import timedelta
from http.cookies import SimpleCookie

import pytest
from aiohttp import web
from sqlalchemy import select, update

from bot.console import accounts, auth
from bot.console import app as console_module
from bot.store.db import session_scope
from bot.store.models import Base, ConsoleSession, LoginAttempt
from tests.console.harness import (
    PASSWORD,
    add_account,
    console_app,
    logged_in,
    login_form_token,
    serve,
    session_cookie,
)

DUMMY_ID = "0123456789abcdef0123456789abcdef"
SAFE = ("GET", "HEAD")


@pytest.fixture
def store(sqlite_store):
    return sqlite_store


def console_routes(app: web.Application) -> list[tuple[str, str, object]]:
    """(method, path with dummy values, handler) of every console route except the login page."""
    found = []
    for route in app["console"].router.routes():
        if getattr(route.handler, "console_public", False):
            continue
        path = re.sub(r"\{[^}]+\}", DUMMY_ID, route.resource.canonical)
        found.append((route.method, path, route.handler))
    return found


def _snapshot() -> dict[str, list]:
    """Every row of every table (except the sessions' last_seen), to prove that nothing changed."""
    with session_scope() as session:
        rows = {}
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if (table.name, c.name) != ("console_sessions", "last_seen")]
            rows[table.name] = sorted(map(tuple, session.execute(select(*columns)).all()), key=repr)
        return rows


async def _login_post(client, username: str, password: str):
    csrf = await login_form_token(client)
    return await client.post("/console/login", allow_redirects=False,
                             data={"csrf": csrf, "username": username, "password": password})


# --- (1) every route refuses anonymous visitors ------------------------------------------------------


def test_every_console_route_refuses_anonymous_visitors(store):
    app, _, _ = console_app(store)
    routes = console_routes(app)
    assert ("POST", "/console/uitloggen") in {(m, p) for m, p, _ in routes}
    assert len(routes) >= 3

    async def scenario(client):
        csrf = await login_form_token(client)  # a valid pre-login token: refusal must come from the login
        results = []
        for method, path, _ in routes:
            response = await client.request(method, path, data={"csrf": csrf}, allow_redirects=False,
                                            headers={"X-CSRF-Token": csrf})
            results.append((method, path, response.status, response.headers.get("Location")))
        unknown = await client.get("/console/bestaat-niet", allow_redirects=False)
        results.append(("GET", "/console/bestaat-niet", unknown.status, unknown.headers.get("Location")))
        return results

    before = _snapshot()
    for method, path, status, location in serve(app, scenario):
        if method in SAFE:
            assert (status, location) == (303, "/console/login") or status in (401, 403), (method, path)
        else:
            assert status in (401, 403), (method, path, status)
    assert _snapshot() == before


def test_the_console_redirects_without_the_trailing_slash(store):
    app, _, _ = console_app(store)

    async def scenario(client):
        response = await client.get("/console", allow_redirects=False)
        return response.status, response.headers.get("Location")

    assert serve(app, scenario) == (308, "/console/")


# --- (2) CSRF ----------------------------------------------------------------------------------------


def test_changes_without_the_right_csrf_token_are_refused(store):
    app, _, _ = console_app(store)
    anne = add_account("anne")
    add_account("bert")
    with session_scope() as session:
        accounts.set_available(session, anne, True)
    unsafe = [(m, p) for m, p, _ in console_routes(app) if m not in SAFE]
    assert ("POST", "/console/uitloggen") in unsafe

    async def scenario(client):
        other = await logged_in(client, "bert")  # bert's token, then anne logs in in the same browser
        client.session.cookie_jar.clear()
        own = await logged_in(client, "anne")
        before = _snapshot()
        statuses = []
        for method, path in unsafe:
            for data, headers in (({}, {}), ({"csrf": "verkeerd"}, {}), ({}, {"X-CSRF-Token": "verkeerd"}),
                                  ({"csrf": other}, {}), ({"csrf": own[:-1]}, {})):
                response = await client.request(method, path, data=data, headers=headers, allow_redirects=False)
                statuses.append((method, path, response.status))
        after = _snapshot()
        still_in = await client.get("/console/", allow_redirects=False)
        with_header = await client.post("/console/uitloggen", headers={"X-CSRF-Token": own},
                                        allow_redirects=False)
        return statuses, before, after, still_in, with_header

    statuses, before, after, still_in, with_header = serve(app, scenario)
    assert all(status == 403 for _, _, status in statuses), statuses
    assert after == before
    assert still_in.headers.get("Location") != "/console/login"
    assert with_header.status == 303  # the right token in the header works
    with session_scope() as session:
        assert not accounts.get(session, "anne").available


def test_login_needs_the_forms_csrf_token(store):
    app, _, _ = console_app(store)
    add_account("anne")

    async def scenario(client):
        without = await client.post("/console/login", allow_redirects=False,
                                    data={"username": "anne", "password": PASSWORD})
        await login_form_token(client)
        wrong = await client.post("/console/login", allow_redirects=False,
                                  data={"csrf": "verkeerd", "username": "anne", "password": PASSWORD})
        return without.status, wrong.status, await wrong.text(), session_cookie(client)

    without, wrong, html, cookie = serve(app, scenario)
    assert without == wrong == 403 and cookie is None
    assert "Laad de pagina opnieuw" in html
    with session_scope() as session:
        assert session.execute(select(LoginAttempt)).first() is None


# --- (3) the login rate limit ------------------------------------------------------------------------


def _failures(client, usernames):
    async def run():
        for username in usernames:
            response = await _login_post(client, username, "verkeerd-wachtwoord")
            assert response.status == 401
    return run()


def test_the_sixth_attempt_is_refused_even_with_the_right_password(store):
    app, _, _ = console_app(store)
    add_account("anne")

    async def scenario(client):
        await _failures(client, ["anne"] * 5)
        response = await _login_post(client, "anne", PASSWORD)
        return response.status, await response.text(), session_cookie(client)

    status, html, cookie = serve(app, scenario)
    assert status == 429 and cookie is None
    assert "Te veel pogingen" in html and "Wacht 15 minuten" in html

    # A restart does not reset it: the attempts are in the database.
    restarted, _, _ = console_app(store)
    assert serve(restarted, lambda client: _login_post(client, "anne", PASSWORD)).status == 429


def test_the_fifth_attempt_may_still_succeed(store):
    app, _, _ = console_app(store)
    add_account("anne")

    async def scenario(client):
        await _failures(client, ["anne"] * 4)
        return (await _login_post(client, "anne", PASSWORD)).status

    assert serve(app, scenario) == 303


def test_failures_count_across_usernames_from_one_address(store):
    app, _, _ = console_app(store)
    add_account("anne")

    async def scenario(client):
        await _failures(client, ["piet", "klaas", "anne2", "admin", "root"])
        return (await _login_post(client, "anne", PASSWORD)).status

    assert serve(app, scenario) == 429


def test_failures_older_than_15_minutes_do_not_count(store):
    app, _, _ = console_app(store)
    add_account("anne")

    async def scenario(client):
        await _failures(client, ["anne"] * 5)
        with session_scope() as session:
            for attempt in session.execute(select(LoginAttempt)).scalars():
                attempt.created_at -= auth.FAILURE_WINDOW + timedelta(seconds=1)
        return (await _login_post(client, "anne", PASSWORD)).status

    assert serve(app, scenario) == 303


def _from(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": address}


def test_per_username_limit_across_addresses(store, monkeypatch):
    """Behind a proxy: one name tried from many addresses is limited; a good login clears the name."""
    monkeypatch.setenv("CONSOLE_TRUST_PROXY", "1")
    app, _, _ = console_app(store)
    add_account("anne")
    add_account("bert")

    async def attempt(client, username, password, address):
        client.session.cookie_jar.clear(lambda cookie: cookie.key == auth.COOKIE)  # log out bert's login
        csrf = await login_form_token(client)
        return (await client.post("/console/login", allow_redirects=False, headers=_from(address),
                                  data={"csrf": csrf, "username": username, "password": password})).status

    async def scenario(client):
        spread = [await attempt(client, "anne", "verkeerd-wachtwoord", f"198.51.100.{i}") for i in range(5)]
        anne_blocked = await attempt(client, "anne", PASSWORD, "198.51.100.99")
        bert = [await attempt(client, "bert", "verkeerd-wachtwoord", f"203.0.113.{i}") for i in range(4)]
        bert_ok = await attempt(client, "bert", PASSWORD, "203.0.113.50")
        bert_again = [await attempt(client, "bert", "verkeerd-wachtwoord", f"203.0.113.{i}") for i in range(60, 64)]
        bert_still_ok = await attempt(client, "bert", PASSWORD, "203.0.113.99")
        return spread, anne_blocked, bert, bert_ok, bert_again, bert_still_ok

    spread, anne_blocked, bert, bert_ok, bert_again, bert_still_ok = serve(app, scenario)
    assert spread == [401] * 5 and anne_blocked == 429
    assert bert == [401] * 4 and bert_ok == 303
    assert bert_again == [401] * 4 and bert_still_ok == 303  # the good login cleared bert's count


# --- (4) cookie flags --------------------------------------------------------------------------------


def test_cookies_are_http_only_and_same_site_strict(store):
    app, _, _ = console_app(store)
    add_account("anne")

    async def scenario(client):
        page = await client.get("/console/login")
        login = await _login_post(client, "anne", PASSWORD)
        return page.headers.getall("Set-Cookie"), login.headers.getall("Set-Cookie")

    page_cookies, login_cookies = serve(app, scenario)
    jar = SimpleCookie()
    for header in page_cookies + login_cookies:
        jar.load(header)
    for name in (auth.COOKIE, auth.PRE_COOKIE):
        assert jar[name]["httponly"] is True and jar[name]["samesite"] == "Strict"
        assert jar[name]["path"] == "/console" and not jar[name]["secure"]
    assert jar[auth.COOKIE].value and jar[auth.PRE_COOKIE]["max-age"] == "0"  # pre-login token dropped


# --- (5) expiry and logout ---------------------------------------------------------------------------


@pytest.mark.parametrize("change, still_in", [
    ({"expires_at": -timedelta(seconds=1)}, False),
    ({"last_seen": -auth.IDLE}, False),  # 30 minutes idle
    ({"last_seen": -auth.IDLE + timedelta(minutes=1)}, True),  # 29 minutes idle
])
def test_sessions_expire(store, change, still_in):
    app, _, _ = console_app(store)
    add_account("anne")

    async def scenario(client):
        await logged_in(client, "anne")
        with session_scope() as session:
            row = session.execute(select(ConsoleSession)).scalar_one()
            for column, shift in change.items():
                base = auth.utcnow() if column == "expires_at" else getattr(row, column)
                setattr(row, column, base + shift)
        response = await client.get("/console/", allow_redirects=False)
        return response.status, response.headers.get("Location"), session_cookie(client)

    status, location, cookie = serve(app, scenario)
    if still_in:
        assert location != "/console/login" and cookie
    else:
        assert (status, location) == (303, "/console/login") and not cookie
        with session_scope() as session:
            assert session.execute(select(ConsoleSession)).first() is None


def test_deactivating_ends_access_at_once(store):
    app, _, _ = console_app(store)
    add_account("anne")

    async def scenario(client):
        await logged_in(client, "anne")
        with session_scope() as session:  # deactivated behind the session's back
            session.execute(update(accounts.ExpertAccount).values(active=False))
        response = await client.get("/console/", allow_redirects=False)
        return response.status, response.headers.get("Location")

    assert serve(app, scenario) == (303, "/console/login")


# --- (6) roles ---------------------------------------------------------------------------------------


async def _coordinator_test_page(request: web.Request) -> web.Response:
    return web.Response(text="alleen voor coordinatoren")


def test_experts_get_403_on_coordinator_pages(store, monkeypatch):
    original = console_module.build_console

    def with_test_page() -> web.Application:  # the sub-app's router is frozen once mounted
        console = original()
        console.router.add_get("/test-coordinator", auth.require("coordinator")(_coordinator_test_page))
        return console

    monkeypatch.setattr(console_module, "build_console", with_test_page)
    app, _, _ = console_app(store)
    pages = [(m, p) for m, p, handler in console_routes(app) if getattr(handler, "console_role", "") == "coordinator"]
    assert ("GET", "/console/test-coordinator") in pages
    add_account("anne")
    add_account("carla", role="coordinator", municipality="*")

    async def scenario(client):
        expert_csrf = await logged_in(client, "anne")
        expert = []
        for method, path in pages:
            response = await client.request(method, path, data={"csrf": expert_csrf}, allow_redirects=False)
            expert.append((method, path, response.status, await response.text()))
        expert_home = await (await client.get("/console/")).text()
        client.session.cookie_jar.clear()
        await logged_in(client, "carla")
        coordinator = [(m, p, (await client.get(p, allow_redirects=False)).status) for m, p in pages if m == "GET"]
        coordinator_home = await (await client.get("/console/")).text()
        return expert, expert_home, coordinator, coordinator_home

    expert, expert_home, coordinator, coordinator_home = serve(app, scenario)
    for method, path, status, text in expert:
        assert status == 403, (method, path)
        assert "alleen voor coordinatoren" not in text
    assert any("Geen toegang" in text for method, _, _, text in expert if method == "GET")
    assert all(status not in (401, 403) and status < 500 for _, _, status in coordinator), coordinator
    assert 'href="/console/cijfers"' not in expert_home and 'href="/console/cijfers"' in coordinator_home
