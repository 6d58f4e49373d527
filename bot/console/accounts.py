"""Expert accounts: create, update, deactivate, list; passwords (argon2id); the availability switch.

Synchronous functions on a SQLAlchemy session (the caller owns the transaction); the web handlers
run them in a thread. An account's `expert_role` and `title` come from the municipality files, so
the console and action_handoff speak about the same expert roles.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.console.texts import text
from bot.domain import municipalities
from bot.store import records
from bot.store.models import ACCOUNT_ROLES, ALL_MUNICIPALITIES, ConsoleSession, ExpertAccount

MIN_PASSWORD_CHARS = 12
MAX_PASSWORD_CHARS = 1024  # argon2 takes any length; a limit keeps a huge form field from costing CPU
HASHER = PasswordHasher()


class AccountError(ValueError):
    """Wrong input for an account (unknown municipality, short password, taken username, ...)."""


@dataclass(frozen=True)
class Assignment:
    municipality: str
    expert_role: str | None
    title: str | None


@cache
def _dummy_hash() -> str:
    # Unknown users get a full verification too, so the time taken does not reveal which names exist.
    return HASHER.hash("no-such-account-dummy-password")


def hash_password(password: str) -> str:
    check_password(password)
    return HASHER.hash(password)


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise AccountError(text("accounts.password_too_short", min=MIN_PASSWORD_CHARS))
    if len(password) > MAX_PASSWORD_CHARS:
        raise AccountError(text("accounts.password_too_long", max=MAX_PASSWORD_CHARS))


def assignment(role: str, municipality: str, expert_role: str | None) -> Assignment:
    """Check role, municipality and expert role against the municipality files; find the title."""
    if role not in ACCOUNT_ROLES:
        raise AccountError(text("accounts.unknown_role", role=role, roles=", ".join(ACCOUNT_ROLES)))
    if municipality == ALL_MUNICIPALITIES:
        if role != "coordinator":
            raise AccountError(text("accounts.all_only_for_coordinator"))
        if expert_role:
            raise AccountError(text("accounts.no_expert_role_for_all"))
        return Assignment(municipality, None, None)
    known = municipalities.load_all()
    if municipality not in known:
        raise AccountError(text("accounts.unknown_municipality", municipality=municipality,
                                known=", ".join(sorted(known))))
    experts = {expert.role: expert.title for expert in known[municipality].team.experts}
    if expert_role is None:
        if role == "expert":
            raise AccountError(text("accounts.expert_role_needed", roles=", ".join(experts)))
        return Assignment(municipality, None, None)
    if expert_role not in experts:
        raise AccountError(text("accounts.unknown_expert_role", expert_role=expert_role,
                                municipality=municipality, roles=", ".join(experts)))
    return Assignment(municipality, expert_role, experts[expert_role])


def _check_username(username: str) -> str:
    username = (username or "").strip()
    if not username or len(username) > 64 or any(c.isspace() for c in username):
        raise AccountError(text("accounts.bad_username"))
    return username


def get(session: Session, username: str) -> ExpertAccount | None:
    return session.execute(
        select(ExpertAccount).where(ExpertAccount.username == username)
    ).scalar_one_or_none()


def _existing(session: Session, username: str) -> ExpertAccount:
    account = get(session, username)
    if account is None:
        raise AccountError(text("accounts.no_such_account", username=username))
    return account


def create_account(session: Session, username: str, password: str, *, role: str = "expert",
                   municipality: str, expert_role: str | None = None) -> ExpertAccount:
    username = _check_username(username)
    where = assignment(role, municipality, expert_role)
    password_hash = hash_password(password)
    if get(session, username) is not None:
        raise AccountError(text("accounts.username_taken", username=username))
    account = ExpertAccount(username=username, password_hash=password_hash, role=role,
                            municipality=where.municipality, expert_role=where.expert_role,
                            title=where.title, available=False, active=True)
    session.add(account)
    session.flush()
    return account


def update_account(session: Session, username: str, *, role: str | None = None,
                   municipality: str | None = None, expert_role: str | None = None) -> ExpertAccount:
    """Change role or assignment; the account is set away first so no old team stays 'available'."""
    account = _existing(session, username)
    role = role or account.role
    municipality = municipality or account.municipality
    expert_role = expert_role if expert_role is not None else (
        account.expert_role if municipality == account.municipality else None)
    where = assignment(role, municipality, expert_role)
    set_available(session, account, False)
    account.role, account.municipality = role, where.municipality
    account.expert_role, account.title = where.expert_role, where.title
    session.flush()
    return account


def set_password(session: Session, username: str, password: str) -> ExpertAccount:
    """A new password ends every open session of the account."""
    account = _existing(session, username)
    account.password_hash = hash_password(password)
    session.execute(delete(ConsoleSession).where(ConsoleSession.account_id == account.id))
    session.flush()
    return account


def deactivate(session: Session, username: str) -> ExpertAccount:
    """No more logins; open sessions end and the account no longer counts as available."""
    account = _existing(session, username)
    set_available(session, account, False)
    account.active = False
    session.execute(delete(ConsoleSession).where(ConsoleSession.account_id == account.id))
    session.flush()
    return account


def list_accounts(session: Session) -> list[ExpertAccount]:
    return list(session.execute(select(ExpertAccount).order_by(ExpertAccount.username)).scalars())


def verify_password(session: Session, username: str, password: str) -> ExpertAccount | None:
    """The active account when the password is right, else None; rehashes when the parameters changed."""
    account = get(session, username) if len(password) <= MAX_PASSWORD_CHARS else None
    if account is None or not account.active:
        try:
            HASHER.verify(_dummy_hash(), password[:MAX_PASSWORD_CHARS])
        except VerificationError:
            pass
        return None
    try:
        HASHER.verify(account.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if HASHER.check_needs_rehash(account.password_hash):
        account.password_hash = HASHER.hash(password)
        session.flush()
    return account


def team_available(session: Session, municipality: str, expert_role: str) -> bool:
    """Whether at least one active account of this municipality and expert role is available."""
    return session.execute(
        select(ExpertAccount.id).where(
            ExpertAccount.municipality == municipality, ExpertAccount.expert_role == expert_role,
            ExpertAccount.active.is_(True), ExpertAccount.available.is_(True),
        ).limit(1)
    ).first() is not None


def set_available(session: Session, account: ExpertAccount | int, available: bool) -> ExpertAccount:
    """The Beschikbaar/Afwezig switch; also updates `expert_availability`, which action_handoff reads.

    The team (municipality + expert role) counts as available while any one of its experts is.
    """
    if isinstance(account, int):
        found = session.get(ExpertAccount, account)
        if found is None:
            raise AccountError(text("accounts.no_such_account_id", id=account))
        account = found
    account.available = bool(available) and account.active
    session.flush()
    if account.expert_role and account.title and account.municipality != ALL_MUNICIPALITIES:
        records.set_expert_availability(
            session, account.municipality, account.expert_role, account.title,
            available=team_available(session, account.municipality, account.expert_role),
        )
    return account
