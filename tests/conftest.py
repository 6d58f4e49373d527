"""Shared test fixtures (paths, the trained model built by `make test` before pytest runs) and the `slow`
marker: `pytest -m "not slow"` runs everything that needs no Rasa, browser, PostgreSQL, Redis or training."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from _pytest.mark.expression import Expression, ParseError

# Fixtures shared by several test files, registered here (see tests/support/).
from tests.support.assistant import assistant  # noqa: F401  (the running assistant, one per session)
from tests.support.postgres import postgres  # noqa: F401  (a throw-away PostgreSQL server, one per session)
from tests.support.redis import redis_server, redis_url  # noqa: F401  (a throw-away Redis server, one per session)
from tests.support.store import sqlite_store  # noqa: F401  (the store on a fresh SQLite file)

REPO = Path(__file__).resolve().parent.parent
MODEL = REPO / "models" / "scheidingspunt.tar.gz"
PIPELINE = REPO / "build" / "nl_pipeline"
TESTS = REPO / "tests"
# Slow: whatever starts Rasa (the assistant, `rasa test`, the cluster), Chromium, PostgreSQL or Redis, or
# needs the trained model.
SLOW_FOLDERS = (TESTS / "conversation", TESTS / "browser", TESTS / "cluster")
SLOW_FIXTURES = frozenset({"assistant", "trained_model", "browser", "postgres", "redis_server"})
SLOW_PARAMS = frozenset({"postgresql"})  # store fixtures parametrised over DATABASES ask for `postgres` late

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def trained_model() -> Path:
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run the suite with `make test`, which trains it first")
    return MODEL


def _is_slow(item: pytest.Item) -> bool:
    if any(folder in item.path.parents for folder in SLOW_FOLDERS):
        return True
    if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
        return True
    params = getattr(item, "callspec", None)
    return params is not None and any(isinstance(value, str) and value in SLOW_PARAMS
                                      for value in params.params.values())


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _is_slow(item):
            item.add_marker(pytest.mark.slow)


def _slow_deselected(config: pytest.Config) -> bool:
    expression = config.getoption("markexpr")
    if not expression:
        return False
    try:
        return not Expression.compile(expression).evaluate(lambda name, **_: name == "slow")
    except ParseError:
        return False


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    # With `-m "not slow"` the slow folders are not even imported: they need Chromium, the npm packages
    # and a trained model, which a quick run should not require.
    if _slow_deselected(config) and any(collection_path == folder or folder in collection_path.parents
                                        for folder in SLOW_FOLDERS):
        return True
    return None

