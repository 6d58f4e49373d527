"""The expert console: an aiohttp sub-application at /console/ (login, logout, the page modules).

`attach(app, live_chat)` mounts it on the gateway, with the router as its `LiveChat` (livechat.py);
every route inside needs a login except the login page (bot/console/auth.py enforces that in a
middleware, whatever a page module forgets). Static files (JS/CSS) are served by the main app at
/console-static/.
"""

from __future__ import annotations

import asyncio
from functools import partial
from pathlib import Path

from aiohttp import web
from aiohttp.web_urldispatcher import PrefixedSubAppResource

from bot.console import accounts, auth, availability, callbacks, figures, live
from bot.console.livechat import LIVE_CHAT_KEY, LiveChat
from bot.console.render import error_page, render
from bot.console.texts import text
from bot.store.db import session_scope

STATIC = Path(__file__).resolve().parent / "static"
PREFIX = "/console/"
PAGE_MODULES = (live, callbacks, availability, figures)  # each adds its routes with setup(console)
MAX_USERNAME_CHARS = 64


def _verify(username: str, password: str):
    with session_scope() as session:
        found = accounts.verify_password(session, username, password)
        return found.id if found is not None else None


def _set_away(account_id: int) -> None:
    with session_scope() as session:
        accounts.set_available(session, account_id, False)


@auth.public
async def login_page(request: web.Request) -> web.StreamResponse:
    if request["account"] is not None:
        raise web.HTTPSeeOther(PREFIX)
    notice = text("login.logged_out") if request.query.get("uitgelogd") else None
    return render(request, "login.html", nav="login", notice=notice)


@auth.public
async def login(request: web.Request) -> web.StreamResponse:
    """Check the password; the rate limit comes first, so even the right password waits."""
    if request["account"] is not None:
        raise web.HTTPSeeOther(PREFIX)
    form = await request.post()
    username = str(form.get("username", "")).strip()[:MAX_USERNAME_CHARS]
    password = str(form.get("password", ""))
    address = auth.client_address(request)
    if await asyncio.to_thread(auth.login_blocked, username, address):
        return error_page(request, 429)
    account_id = await asyncio.to_thread(_verify, username, password) if username and password else None
    await asyncio.to_thread(auth.record_attempt, username, address, account_id is not None)
    if account_id is None:
        return render(request, "login.html", status=401, nav="login", error=text("login.wrong"),
                      username=username)
    token, _ = await asyncio.to_thread(auth.create_session, account_id)
    response = web.HTTPSeeOther(PREFIX)
    auth.set_cookie(response, auth.COOKIE, token)
    auth.clear_cookie(response, auth.PRE_COOKIE)
    raise response


@auth.require()
async def logout(request: web.Request) -> web.StreamResponse:
    """End this session and set the expert away: nobody should wait for an expert who left."""
    token = request.cookies.get(auth.COOKIE, "")
    await asyncio.to_thread(auth.end_session, token)
    await asyncio.to_thread(_set_away, request["account"].id)
    response = web.HTTPSeeOther(f"{auth.LOGIN_PATH}?uitgelogd=1")
    auth.clear_cookie(response, auth.COOKIE)
    raise response


async def _to_console(request: web.Request) -> web.StreamResponse:
    raise web.HTTPPermanentRedirect(PREFIX)


def build_console() -> web.Application:
    console = web.Application(middlewares=[auth.middleware])
    console.on_response_prepare.append(auth.security_headers)
    console.cleanup_ctx.append(auth.sweeper)
    console.router.add_get("/login", login_page)
    console.router.add_post("/login", login)
    console.router.add_post("/uitloggen", logout)
    for module in PAGE_MODULES:
        module.setup(console)
    return console


class _PathPrefixResource(PrefixedSubAppResource):
    """The stock sub-app resource, matching on the path only.

    aiohttp 3.9.5's version reads `request.url`, which yarl >= 1.9.5 refuses to build for a Host header
    with a port ("127.0.0.1:8080"): every request to the console would fail with a 500.
    """

    async def resolve(self, request: web.Request):
        path = request.rel_url.raw_path
        if not path.startswith(self._prefix2) and path != self._prefix:
            return None, set()
        match_info = await self._app.router.resolve(request)
        match_info.add_app(self._app)
        if isinstance(match_info.http_exception, web.HTTPMethodNotAllowed):
            return match_info, match_info.http_exception.allowed_methods
        return match_info, set()


def attach(app: web.Application, live_chat: LiveChat) -> web.Application:
    """Mount the console on the gateway at /console/, talking to `live_chat`; returns the console."""
    # Registered before the sub-app, which would otherwise answer /console with a 404.
    app.router.add_get(PREFIX.rstrip("/"), _to_console)
    console = build_console()
    console[LIVE_CHAT_KEY] = live_chat
    # add_subapp() with our resource class (same steps as aiohttp's own add_subapp).
    app._add_subapp(partial(_PathPrefixResource, PREFIX.rstrip("/"), console), console)
    app["console"] = console
    return console
