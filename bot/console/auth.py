"""Who is logged in to the console: sessions, CSRF tokens, the login rate limit and `require`.

The cookie `sp_console` holds a random token; the database keeps only its sha256, so a copy of the
table logs nobody in. Every state-changing request (POST/PUT/PATCH/DELETE) must carry the session's
CSRF token (form field `csrf` or header `X-CSRF-Token`); before login a separate cookie holds a
token for the login form (double submit). Login attempts are counted in the database, so a restart
does not reset the rate limit.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import logging
import os
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from aiohttp import web
from sqlalchemy import delete, func, select

from bot.console import accounts
from bot.console.render import error_page
from bot.console.texts import text
from bot.domain.names import utcnow
from bot.store.db import session_scope
from bot.store.models import ConsoleSession, ExpertAccount, LoginAttempt

log = logging.getLogger(__name__)

COOKIE = "sp_console"
PRE_COOKIE = "sp_console_pre"  # the login form's CSRF token, before there is a session
COOKIE_PATH = "/console"
LOGIN_PATH = "/console/login"
IDLE = timedelta(minutes=30)
TOUCH_EVERY = timedelta(minutes=1)  # last_seen is rewritten at most this often
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
KEEP_ATTEMPTS = timedelta(days=1)
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ROLE_RANK = {"expert": 1, "coordinator": 2}  # a coordinator may do everything an expert may
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Account:
    id: int
    username: str
    role: str
    municipality: str
    expert_role: str | None
    title: str | None
    available: bool = False

    def may_see(self, municipality_key: str | None) -> bool:
        return self.municipality == accounts.ALL_MUNICIPALITIES or self.municipality == municipality_key

    @property
    def scope(self) -> list[str] | None:
        """The municipality keys this account may see; None = all (a coordinator with "*")."""
        return None if self.municipality == accounts.ALL_MUNICIPALITIES else [self.municipality]

    def has_role(self, role: str) -> bool:
        return ROLE_RANK.get(self.role, 0) >= ROLE_RANK[role]

    @property
    def is_coordinator(self) -> bool:
        return self.has_role("coordinator")

    @classmethod
    def of(cls, row: ExpertAccount) -> Account:
        return cls(row.id, row.username, row.role, row.municipality, row.expert_role, row.title,
                   bool(row.available))


# --- settings --------------------------------------------------------------------------------------


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def session_lifetime() -> timedelta:
    try:
        hours = float(os.environ.get("CONSOLE_SESSION_HOURS", "8"))
    except ValueError:
        hours = 8.0
    return timedelta(hours=hours if 0 < hours <= 24 * 7 else 8.0)


def secure_cookie() -> bool:
    return _flag("CONSOLE_SECURE_COOKIE")


def client_address(request: web.Request) -> str:
    """`request.remote`; behind a proxy (CONSOLE_TRUST_PROXY=1) the first X-Forwarded-For address."""
    if _flag("CONSOLE_TRUST_PROXY"):
        forwarded = request.headers.get("X-Forwarded-For", "").split(",")[0].strip()
        if forwarded:
            return forwarded
    return request.remote or "unknown"


def set_cookie(response: web.StreamResponse, name: str, value: str) -> None:
    response.set_cookie(name, value, path=COOKIE_PATH, httponly=True, samesite="Strict",
                        secure=secure_cookie())


def clear_cookie(response: web.StreamResponse, name: str) -> None:
    response.del_cookie(name, path=COOKIE_PATH)


# --- sessions --------------------------------------------------------------------------------------


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _expired(row: ConsoleSession, now) -> bool:
    return row.expires_at <= now or row.last_seen + IDLE <= now


def create_session(account_id: int) -> tuple[str, str]:
    """A new session: (cookie value, CSRF token). A fresh token at every login (no session fixation)."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = utcnow()
    with session_scope() as session:
        session.add(ConsoleSession(token_hash=token_hash(token), account_id=account_id, csrf_token=csrf,
                                   created_at=now, last_seen=now, expires_at=now + session_lifetime()))
    return token, csrf


def _find(session, token: str) -> tuple[ConsoleSession, ExpertAccount] | None:
    return session.execute(
        select(ConsoleSession, ExpertAccount)
        .join(ExpertAccount, ExpertAccount.id == ConsoleSession.account_id)
        .where(ConsoleSession.token_hash == token_hash(token))
    ).first()


def session_alive(token: str) -> bool:
    """Whether the session is still valid, checked without touching last_seen (a live stream asks)."""
    with session_scope() as session:
        found = _find(session, token)
        return found is not None and found[1].active and not _expired(found[0], utcnow())


def load_session(token: str) -> tuple[Account, str] | None:
    """The account and CSRF token of a live session; an expired one is deleted."""
    now = utcnow()
    with session_scope() as session:
        found = _find(session, token)
        if found is None:
            return None
        row, account = found
        if _expired(row, now) or not account.active:
            session.delete(row)
            return None
        if now - row.last_seen >= TOUCH_EVERY:
            row.last_seen = now
        return Account.of(account), row.csrf_token


def end_session(token: str) -> int | None:
    """Delete the session; returns its account id (None when there was none)."""
    with session_scope() as session:
        row = session.execute(
            select(ConsoleSession).where(ConsoleSession.token_hash == token_hash(token))
        ).scalar_one_or_none()
        if row is None:
            return None
        session.delete(row)
        return row.account_id


def sweep() -> int:
    """Delete ended sessions; an available expert without a live session is set away (returns how many).

    Without this an expert who closed the browser would stay 'available' and parents would wait in vain.
    """
    now = utcnow()
    with session_scope() as session:
        for row in session.execute(select(ConsoleSession)).scalars().all():
            if _expired(row, now):
                session.delete(row)
        session.flush()
        live = select(ConsoleSession.account_id)
        stale = session.execute(
            select(ExpertAccount).where(ExpertAccount.available.is_(True), ExpertAccount.id.not_in(live))
        ).scalars().all()
        for account in stale:
            accounts.set_available(session, account, False)
        return len(stale)


# --- login rate limit ------------------------------------------------------------------------------


def _key(kind: str, value: str) -> str:
    return hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()


def user_key(username: str) -> str:
    return _key("user", username.strip().lower())


def address_key(address: str) -> str:
    return _key("ip", address)


def _failures(session, key: str, *, since_success: bool) -> int:
    since = utcnow() - FAILURE_WINDOW
    if since_success:  # a good login clears the name's count; the address's count stays (spraying)
        last_success = session.execute(
            select(func.max(LoginAttempt.created_at)).where(LoginAttempt.key == key, LoginAttempt.succeeded)
        ).scalar_one_or_none()
        if last_success is not None and last_success > since:
            since = last_success
    return session.execute(
        select(func.count()).select_from(LoginAttempt)
        .where(LoginAttempt.key == key, LoginAttempt.succeeded.is_(False), LoginAttempt.created_at > since)
    ).scalar_one()


def login_blocked(username: str, address: str) -> bool:
    with session_scope() as session:
        return (_failures(session, user_key(username), since_success=True) >= MAX_FAILURES
                or _failures(session, address_key(address), since_success=False) >= MAX_FAILURES)


def record_attempt(username: str, address: str, succeeded: bool) -> None:
    now = utcnow()
    with session_scope() as session:
        session.execute(delete(LoginAttempt).where(LoginAttempt.created_at < now - KEEP_ATTEMPTS))
        session.add(LoginAttempt(key=user_key(username), succeeded=succeeded, created_at=now))
        if not succeeded:
            session.add(LoginAttempt(key=address_key(address), succeeded=False, created_at=now))


# --- the middleware and `require` ------------------------------------------------------------------


def public(handler: Handler) -> Handler:
    """Mark a handler that anonymous visitors may reach (only the login page)."""
    handler.console_public = True  # type: ignore[attr-defined]
    return handler


def _anonymous(request: web.Request) -> web.StreamResponse:
    if request.method in ("GET", "HEAD"):
        raise web.HTTPSeeOther(LOGIN_PATH)
    return error_page(request, 401)


def require(role: str | Handler = "expert") -> Callable[[Handler], Handler] | Handler:
    """Decorator for console handlers: `@require()` for experts, `@require("coordinator")`.

    Anonymous: 303 to the login page for GET, 401 otherwise; a role too low: the 403 page.
    """
    if callable(role):  # used bare, as `@require`
        return require("expert")(role)
    if role not in ROLE_RANK:
        raise ValueError(f"unknown console role {role!r}")

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def wrapped(request: web.Request) -> web.StreamResponse:
            account: Account | None = request.get("account")
            if account is None:
                return _anonymous(request)
            if not account.has_role(role):
                return error_page(request, 403)
            return await handler(request)

        wrapped.console_role = role  # type: ignore[attr-defined]
        return wrapped

    return decorate


def _same(given: str | None, expected: str | None) -> bool:
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("utf-8", "replace"))


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


async def form_readable(request: web.Request) -> bool:
    """Read a posted form once (aiohttp caches it for csrf_ok and the handler); False when it cannot be
    read, e.g. bytes that are not UTF-8: a 400, not a 500 from whichever handler reads it first."""
    if request.method not in UNSAFE_METHODS or request.content_type not in FORM_TYPES:
        return True
    try:
        await request.post()
    except ValueError:
        return False
    return True


async def csrf_ok(request: web.Request) -> bool:
    expected = request.get("csrf_token")
    given = request.headers.get("X-CSRF-Token")
    if given is None and request.content_type in FORM_TYPES:
        field = (await request.post()).get("csrf")  # cached: the handler can read the form again
        given = field if isinstance(field, str) else None
    return _same(given, expected)


@web.middleware
async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Load the session; refuse anonymous visitors (except on the login page) and requests without CSRF."""
    token = request.cookies.get(COOKIE)
    loaded = await asyncio.to_thread(load_session, token) if token else None
    new_pre = None
    if loaded is not None:
        request["account"], request["csrf_token"] = loaded
    else:
        request["account"] = None
        request["csrf_token"] = request.cookies.get(PRE_COOKIE)
        if not request["csrf_token"] or len(request["csrf_token"]) > 64:
            request["csrf_token"] = new_pre = secrets.token_urlsafe(32)

    def cookies(response: web.StreamResponse) -> web.StreamResponse:
        if token and loaded is None:
            clear_cookie(response, COOKIE)
        if new_pre:
            set_cookie(response, PRE_COOKIE, new_pre)
        return response

    try:
        if loaded is None and not getattr(request.match_info.handler, "console_public", False):
            response = _anonymous(request)
        elif not await form_readable(request):
            response = error_page(request, 400)
        elif request.method in UNSAFE_METHODS and not await csrf_ok(request):
            response = error_page(request, 403, text("form_expired"))
        else:
            response = await handler(request)
    except web.HTTPException as exc:
        if exc.status in (403, 404, 405, 429) and exc.text == f"{exc.status}: {exc.reason}":
            return cookies(error_page(request, exc.status))  # a bare exception gets the Dutch page
        cookies(exc)
        raise
    return cookies(response)


SECURITY_HEADERS = {
    # No inline scripts or styles: JS and CSS live in /console-static/ (and /widget/vendor/nlds/).
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
                               "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
                               "form-action 'self'; base-uri 'none'; object-src 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)


async def sweeper(console: web.Application, every: float = 60.0):
    """cleanup_ctx: sweep ended sessions every minute (the first after a minute, not at start-up)."""

    async def loop() -> None:
        while True:
            await asyncio.sleep(every)
            try:
                await asyncio.to_thread(sweep)
            except Exception:  # noqa: BLE001 - a failed sweep must not stop the console
                log.exception("console: session sweep failed")

    task = asyncio.get_running_loop().create_task(loop())
    yield
    task.cancel()
