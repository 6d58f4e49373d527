"""The console under test: the real gateway app with a fake Rasa and a fake web channel.

    def test_something(sqlite_store):
        app, rasa, channel = console_app(sqlite_store)
        add_account("anne", PASSWORD)

        async def scenario():
            async with TestClient(TestServer(app)) as client:
                csrf = await logged_in(client, "anne", PASSWORD)
                response = await client.post("/console/...", data={"csrf": csrf}, allow_redirects=False)
                ...

        asyncio.run(scenario())

No pytest-aiohttp here: each test runs its coroutine with asyncio.run.
"""

from __future__ import annotations

import asyncio
import re

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.console import accounts, auth
from bot.gateway.app import Settings, build_app
from bot.store.db import session_scope
from bot.store.models import ConsoleSession
from tests.support.fakes import SECRET, FakeChannel, FakeRasa

PASSWORD = "een-lang-wachtwoord-1"
_CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')


def console_app(store_url: str, rasa: FakeRasa | None = None,
                handoff_timeout: float = 300.0) -> tuple[web.Application, FakeRasa, FakeChannel]:
    """The gateway with the console; `store_url` is the (migrated) DATABASE_URL it will use."""
    assert store_url, "pass the sqlite_store (or a PostgreSQL) URL; the app reads DATABASE_URL"
    app = build_app(Settings(secret=SECRET, handoff_timeout=handoff_timeout), with_telegram=False)
    rasa = rasa or FakeRasa()
    channel = FakeChannel()
    router = app["router"]
    router.rasa = rasa
    router.register(channel)  # replaces the socket.io web chat: deliveries are recorded instead
    app["rasa"] = rasa
    return app, rasa, channel


def add_account(username: str, password: str = PASSWORD, role: str = "expert", municipality: str = "twenterand",
                expert_role: str | None = "scheidingsdeskundige") -> int:
    """Create an account in the store (DATABASE_URL); returns its id."""
    if municipality == accounts.ALL_MUNICIPALITIES:
        expert_role = None
    with session_scope() as session:
        return accounts.create_account(session, username, password, role=role, municipality=municipality,
                                       expert_role=expert_role).id


async def login_form_token(client: TestClient) -> str:
    """Open the login page; returns the CSRF token of its form (the pre-login cookie is now set)."""
    page = await client.get("/console/login", allow_redirects=False)
    assert page.status == 200, f"no login page ({page.status}): logged in already?"
    found = _CSRF_FIELD.search(await page.text())
    assert found, "the login form has no csrf field"
    return found.group(1)


def session_cookie(client: TestClient) -> str | None:
    return next((c.value for c in client.session.cookie_jar if c.key == auth.COOKIE), None)


async def logged_in(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Log in through the login form; returns the session's CSRF token."""
    csrf = await login_form_token(client)
    response = await client.post("/console/login", allow_redirects=False,
                                 data={"csrf": csrf, "username": username, "password": password})
    assert response.status == 303, f"login of {username} failed: {response.status}"
    token = session_cookie(client)
    assert token, "no session cookie after login"
    with session_scope() as session:
        return session.query(ConsoleSession).filter_by(token_hash=auth.token_hash(token)).one().csrf_token


def serve(app: web.Application, scenario):
    """Run `await scenario(client)` against the app on a test server; returns its result."""

    async def main():
        async with TestClient(TestServer(app)) as client:
            return await scenario(client)

    return asyncio.run(main())
