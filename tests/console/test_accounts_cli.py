"""`python -m bot.console`: making and changing expert accounts on the command line."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
from sqlalchemy import select

from bot.console import accounts, auth
from bot.console.__main__ import main
from bot.store.db import session_scope
from bot.store.models import ConsoleSession, ExpertAccount
from tests.console.harness import PASSWORD, add_account

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def store(sqlite_store):
    return sqlite_store


def run(monkeypatch, capsys, *argv: str, stdin: str = "") -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def account(username: str) -> ExpertAccount | None:
    with session_scope() as session:
        return accounts.get(session, username)


def test_add_expert_takes_the_title_from_the_municipality_file(store, monkeypatch, capsys):
    code, out, _ = run(monkeypatch, capsys, "add-expert", "anne", "--municipality", "twenterand", "--role",
                       "expert", "--expert-role", "financieel_preventiemedewerker", "--password-stdin",
                       stdin=PASSWORD + "\n")
    assert code == 0 and "anne" in out
    made = account("anne")
    assert (made.role, made.municipality, made.expert_role, made.title) == (
        "expert", "twenterand", "financieel_preventiemedewerker", "Financieel preventiemedewerker")
    assert made.active and not made.available
    assert made.password_hash.startswith("$argon2id$") and PASSWORD not in made.password_hash
    with session_scope() as session:
        assert accounts.verify_password(session, "anne", PASSWORD).id == made.id


def test_a_coordinator_of_all_municipalities(store, monkeypatch, capsys):
    code, _, _ = run(monkeypatch, capsys, "add-expert", "carla", "--municipality", "*", "--role", "coordinator",
                     "--password-stdin", stdin=PASSWORD)
    made = account("carla")
    assert code == 0 and (made.role, made.municipality, made.expert_role, made.title) == (
        "coordinator", "*", None, None)


@pytest.mark.parametrize("arguments, password, message", [
    (["--municipality", "twenterand", "--role", "expert", "--expert-role", "scheidingsdeskundige"],
     "elf-tekens!", "te kort"),  # 11 characters
    (["--municipality", "atlantis", "--role", "expert", "--expert-role", "scheidingsdeskundige"],
     PASSWORD, "Onbekende gemeente 'atlantis'"),
    (["--municipality", "twenterand", "--role", "expert", "--expert-role", "jurist"],
     PASSWORD, "Onbekende expert-rol 'jurist'"),
    (["--municipality", "twenterand", "--role", "expert"], PASSWORD, "scheidingsdeskundige"),
    (["--municipality", "*", "--role", "expert", "--expert-role", "scheidingsdeskundige"],
     PASSWORD, "Alleen een coordinator"),
    (["--municipality", "*", "--role", "coordinator", "--expert-role", "scheidingsdeskundige"],
     PASSWORD, "geen --expert-role"),
])
def test_wrong_input_is_refused_with_exit_code_2(store, monkeypatch, capsys, arguments, password, message):
    code, _, err = run(monkeypatch, capsys, "add-expert", "anne", *arguments, "--password-stdin", stdin=password)
    assert code == 2 and message in err
    assert account("anne") is None


def test_twelve_characters_is_long_enough(store, monkeypatch, capsys):
    password = "twaalf-teken"
    assert len(password) == accounts.MIN_PASSWORD_CHARS == 12
    code, _, _ = run(monkeypatch, capsys, "add-expert", "anne", "--municipality", "zwolle", "--role", "expert",
                     "--expert-role", "scheidingsdeskundige", "--password-stdin", stdin=password + "\n")
    assert code == 0
    with session_scope() as session:
        assert accounts.verify_password(session, "anne", password) is not None


def test_a_username_is_taken_once(store, monkeypatch, capsys):
    add_account("anne")
    code, _, err = run(monkeypatch, capsys, "add-expert", "Anne", "--municipality", "zwolle", "--role",
                       "coordinator", "--password-stdin", stdin=PASSWORD)
    assert code == 0  # names are case-sensitive logins...
    code, _, err = run(monkeypatch, capsys, "add-expert", "anne", "--municipality", "zwolle", "--role",
                       "coordinator", "--password-stdin", stdin=PASSWORD)
    assert code == 2 and "bestaat al" in err  # ...but the same name twice is refused
    assert account("anne").municipality == "twenterand"


def test_passwords_typed_twice_must_match(store, monkeypatch, capsys):
    answers = iter([PASSWORD, PASSWORD + "x"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    code, _, err = run(monkeypatch, capsys, "add-expert", "anne", "--municipality", "twenterand", "--role",
                       "expert", "--expert-role", "scheidingsdeskundige")
    assert code == 2 and "niet gelijk" in err and account("anne") is None

    answers = iter([PASSWORD, PASSWORD])
    code, _, _ = run(monkeypatch, capsys, "add-expert", "anne", "--municipality", "twenterand", "--role",
                     "expert", "--expert-role", "scheidingsdeskundige")
    assert code == 0 and account("anne") is not None


def test_set_password_ends_open_sessions(store, monkeypatch, capsys):
    account_id = add_account("anne")
    auth.create_session(account_id)
    code, _, _ = run(monkeypatch, capsys, "set-password", "anne", "--password-stdin", stdin="nieuw-wachtwoord-2")
    assert code == 0
    with session_scope() as session:
        assert session.execute(select(ConsoleSession)).first() is None
        assert accounts.verify_password(session, "anne", PASSWORD) is None
        assert accounts.verify_password(session, "anne", "nieuw-wachtwoord-2") is not None
    code, _, err = run(monkeypatch, capsys, "set-password", "niemand", "--password-stdin", stdin=PASSWORD)
    assert code == 2 and "geen account" in err
    code, _, err = run(monkeypatch, capsys, "set-password", "anne", "--password-stdin", stdin="kort")
    assert code == 2 and "te kort" in err


def test_deactivate_stops_logins_sessions_and_availability(store, monkeypatch, capsys):
    account_id = add_account("anne")
    with session_scope() as session:
        accounts.set_available(session, account_id, True)
    token, _ = auth.create_session(account_id)
    code, _, _ = run(monkeypatch, capsys, "deactivate", "anne")
    assert code == 0
    stopped = account("anne")
    assert not stopped.active and not stopped.available
    assert auth.load_session(token) is None
    with session_scope() as session:
        assert accounts.verify_password(session, "anne", PASSWORD) is None
        assert not accounts.team_available(session, "twenterand", "scheidingsdeskundige")
    assert run(monkeypatch, capsys, "deactivate", "niemand")[0] == 2


def test_update_moves_an_expert_and_sets_the_old_team_away(store, monkeypatch, capsys):
    account_id = add_account("anne")
    with session_scope() as session:
        accounts.set_available(session, account_id, True)
    code, out, _ = run(monkeypatch, capsys, "update", "anne", "--municipality", "zwolle", "--expert-role",
                       "scheidingsdeskundige")
    assert code == 0 and "zwolle" in out
    moved = account("anne")
    assert (moved.municipality, moved.expert_role, moved.available) == ("zwolle", "scheidingsdeskundige", False)
    with session_scope() as session:
        assert not accounts.team_available(session, "twenterand", "scheidingsdeskundige")
    code, _, err = run(monkeypatch, capsys, "update", "anne", "--expert-role", "jurist")
    assert code == 2 and "jurist" in err


def test_list_shows_accounts_without_secrets(store, monkeypatch, capsys):
    assert run(monkeypatch, capsys, "list")[1].strip() == "Nog geen accounts."
    add_account("anne")
    add_account("carla", role="coordinator", municipality="*")
    code, out, _ = run(monkeypatch, capsys, "list")
    lines = out.strip().splitlines()
    assert code == 0 and len(lines) == 2
    assert lines[0].split() == ["anne", "expert", "twenterand", "scheidingsdeskundige", "afwezig", "actief"]
    assert lines[1].split() == ["carla", "coordinator", "*", "-", "afwezig", "actief"]
    assert "argon2" not in out


def test_the_module_runs_as_a_script(store):
    result = subprocess.run([sys.executable, "-m", "bot.console", "add-expert", "anne", "--municipality",
                             "dordrecht", "--role", "expert", "--expert-role", "nobody", "--password-stdin"],
                            input=PASSWORD, capture_output=True, text=True, cwd=REPO,
                            env={**os.environ, "DATABASE_URL": store}, timeout=120)
    assert result.returncode == 2 and "Onbekende expert-rol" in result.stderr
