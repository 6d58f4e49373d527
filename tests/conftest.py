"""Shared test fixtures: paths and the trained model (built by `make test` before pytest runs)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Fixtures shared by several test files, registered here (see tests/support/).
from tests.support.assistant import assistant  # noqa: F401  (the running assistant, one per session)
from tests.support.postgres import postgres  # noqa: F401  (a throw-away PostgreSQL server, one per session)
from tests.support.store import sqlite_store  # noqa: F401  (the store on a fresh SQLite file)

REPO = Path(__file__).resolve().parent.parent
MODEL = REPO / "models" / "scheidingspunt.tar.gz"
PIPELINE = REPO / "build" / "nl_pipeline"

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def trained_model() -> Path:
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run the suite with `make test`, which trains it first")
    return MODEL
