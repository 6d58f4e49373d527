"""Checks run before the action server starts: data files valid, database migrated.

`python -m bot.startup` exits with a clear message naming the file and field that is wrong,
so that a broken municipality file stops the start instead of surfacing in a conversation.
"""

from __future__ import annotations

import logging
import sys

from bot.domain import texts
from bot.domain.facts import load_facts
from bot.domain.form_rules import load_form_rules
from bot.domain.municipalities import MunicipalityDataError, load_all
from bot.domain.screening_scoring import load_screening
from bot.store import callbacks, retention
from bot.store.db import database_url, migrate, session_scope

log = logging.getLogger(__name__)


def check() -> None:
    municipalities = load_all()
    facts = load_facts()
    screening = load_screening()
    load_form_rules()
    texts.FILE.data  # noqa: B018 - read now: a broken texts file stops the start, not a conversation
    retention.retention_days()  # the gateway deletes old conversations; a wrong setting stops the start here
    migrate()
    with session_scope() as session:
        erased = callbacks.purge_phone_numbers(session, callbacks.retention_days())
    names = ", ".join(sorted(municipalities))
    print(f"Scheidingspunt data OK: {len(municipalities)} municipalities ({names}), facts {facts.year}, "
          f"screening with {len(screening.questions)} questions; database "
          f"{database_url().split('://')[0]} migrated; {erased} old phone numbers erased.")


def main() -> int:
    try:
        check()
    except (MunicipalityDataError, ValueError) as error:
        print(f"Scheidingspunt cannot start: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
