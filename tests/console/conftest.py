"""Console tests hash passwords with argon2's cheapest parameters: the console's own (RFC 9106's low
memory profile, slow on purpose) would spend most of the fast suite's time in logins. The one test of
the production parameters asks for `production_hashing`."""

from __future__ import annotations

import argon2
import pytest

from bot.console import accounts


def _use(monkeypatch, hasher: argon2.PasswordHasher) -> None:
    monkeypatch.setattr(accounts, "HASHER", hasher)
    accounts._dummy_hash.cache_clear()  # made with the hasher of the test before


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch):
    _use(monkeypatch, argon2.PasswordHasher.from_parameters(argon2.profiles.CHEAPEST))
    yield
    accounts._dummy_hash.cache_clear()


@pytest.fixture
def production_hashing(monkeypatch, cheap_password_hashing):
    _use(monkeypatch, argon2.PasswordHasher())
