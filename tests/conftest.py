"""Shared test fixtures: paths and the trained model (built by `make test` before pytest runs)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.assistant import assistant  # noqa: F401  (the running assistant, one per session)

REPO = Path(__file__).resolve().parent.parent
MODEL = REPO / "models" / "scheidingspunt.tar.gz"
PIPELINE = REPO / "build" / "nl_pipeline"

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def postgres():
    from tests.postgres import running_postgres

    with running_postgres() as server:
        yield server


@pytest.fixture(scope="session")
def trained_model() -> Path:
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run the suite with `make test`, which trains it first")
    return MODEL


@pytest.fixture
def sqlite_store(tmp_path, monkeypatch) -> str:
    """The project's own store on a fresh SQLite file, as DATABASE_URL (what the code reads)."""
    from bot.store.db import migrate

    url = f"sqlite:///{tmp_path / 'store.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    migrate(url)
    return url
