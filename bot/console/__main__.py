"""Console accounts on the command line (the store is DATABASE_URL, as for the gateway).

  python -m bot.console add-expert <username> --municipality twenterand --role expert \\
      --expert-role scheidingsdeskundige
  python -m bot.console add-expert <username> --municipality '*' --role coordinator
  python -m bot.console set-password <username>
  python -m bot.console update <username> [--role ...] [--municipality ...] [--expert-role ...]
  python -m bot.console deactivate <username>
  python -m bot.console list

Passwords are asked twice without echo, or read from the first line of stdin with --password-stdin
(for scripts). Wrong input ends with exit code 2 and a message on stderr.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from bot.console import accounts
from bot.console.texts import text
from bot.store.db import migrate, session_scope
from bot.store.models import ACCOUNT_ROLES

USAGE_ERROR = 2


class _Refused(Exception):
    pass


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass(text("cli.password", min=accounts.MIN_PASSWORD_CHARS))
        if getpass.getpass(text("cli.password_again")) != password:
            raise _Refused(text("cli.passwords_differ"))
    accounts.check_password(password)
    return password


def _add(args: argparse.Namespace) -> str:
    # Check the assignment before asking for a password: a typo should not cost a password twice.
    accounts.assignment(args.role, args.municipality, args.expert_role)
    password = _password(args)
    with session_scope() as session:
        account = accounts.create_account(session, args.username, password, role=args.role,
                                          municipality=args.municipality, expert_role=args.expert_role)
        said = {"username": account.username, "role": account.role, "municipality": account.municipality}
        if account.title:
            return text("cli.created_with_title", title=account.title, **said)
        return text("cli.created", **said)


def _set_password(args: argparse.Namespace) -> str:
    with session_scope() as session:
        if accounts.get(session, args.username) is None:
            raise accounts.AccountError(text("accounts.no_such_account", username=args.username))
    password = _password(args)
    with session_scope() as session:
        accounts.set_password(session, args.username, password)
    return text("cli.new_password", username=args.username)


def _update(args: argparse.Namespace) -> str:
    with session_scope() as session:
        account = accounts.update_account(session, args.username, role=args.role,
                                          municipality=args.municipality, expert_role=args.expert_role)
        return text("cli.updated", username=account.username, role=account.role,
                    municipality=account.municipality, title=account.title or "-")


def _deactivate(args: argparse.Namespace) -> str:
    with session_scope() as session:
        accounts.deactivate(session, args.username)
    return text("cli.deactivated", username=args.username)


def _list(args: argparse.Namespace) -> str:
    with session_scope() as session:
        rows = [(a.username, a.role, a.municipality, a.expert_role or "-",
                 text("cli.available" if a.available else "cli.away"),
                 text("cli.active" if a.active else "cli.inactive"))
                for a in accounts.list_accounts(session)]
    if not rows:
        return text("cli.no_accounts")
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(value.ljust(width) for value, width in zip(row, widths, strict=True)).rstrip()
                     for row in rows)


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="python -m bot.console",
                                   description="Accounts for the expert console.")
    commands = main.add_subparsers(dest="command", required=True)

    add = commands.add_parser("add-expert", help="create an account")
    add.add_argument("username")
    add.add_argument("--municipality", required=True, help="key of data/municipalities/<key>.yml, or '*'")
    add.add_argument("--role", required=True, choices=ACCOUNT_ROLES)
    add.add_argument("--expert-role",
                     help="team.experts[].role of the municipality, e.g. scheidingsdeskundige")
    add.add_argument("--password-stdin", action="store_true")
    add.set_defaults(run=_add)

    password = commands.add_parser("set-password", help="give an account a new password")
    password.add_argument("username")
    password.add_argument("--password-stdin", action="store_true")
    password.set_defaults(run=_set_password)

    update = commands.add_parser("update", help="change role, municipality or expert role")
    update.add_argument("username")
    update.add_argument("--municipality")
    update.add_argument("--role", choices=ACCOUNT_ROLES)
    update.add_argument("--expert-role")
    update.set_defaults(run=_update)

    deactivate = commands.add_parser("deactivate", help="stop an account (it is kept, for the audit trail)")
    deactivate.add_argument("username")
    deactivate.set_defaults(run=_deactivate)

    listing = commands.add_parser("list", help="show all accounts")
    listing.set_defaults(run=_list)
    return main


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    migrate()
    try:
        print(args.run(args))
    except (accounts.AccountError, _Refused) as error:
        print(text("cli.error", error=error), file=sys.stderr)
        return USAGE_ERROR
    return 0


if __name__ == "__main__":
    sys.exit(main())
