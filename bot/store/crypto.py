"""Encryption of callback phone numbers (Fernet: AES with an HMAC, from `cryptography`).

The key comes from the environment, so a database copy alone does not reveal any number.
Nothing here logs a number, and no error message contains one.
"""

from __future__ import annotations

import os
import re
import tempfile
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

KEY_VARIABLE = "SCHEIDINGSPUNT_FERNET_KEY"
LOCAL_KEY_FILE = Path(__file__).resolve().parents[2] / "var" / "fernet.key"

_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


class FernetKeyError(RuntimeError):
    """The key is missing or unusable; the message names the environment variable."""


@lru_cache(maxsize=4)
def _fernet(key: str) -> Fernet:
    try:
        return Fernet(key.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as error:
        raise FernetKeyError(
            f"{KEY_VARIABLE} is not a valid Fernet key (32 url-safe base64-encoded bytes); "
            "make one with: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'"
        ) from error


def _current() -> Fernet:
    key = os.environ.get(KEY_VARIABLE, "").strip()
    if not key:
        raise FernetKeyError(
            f"{KEY_VARIABLE} is not set: callback phone numbers cannot be encrypted or read without it"
        )
    return _fernet(key)


def encrypt_phone(e164: str) -> str:
    """Encrypt a number in E.164 form ('+31612345678'); returns the Fernet token as text."""
    if not _E164.match(e164 or ""):
        raise ValueError("phone number is not in E.164 form (+ and 7 to 15 digits)")
    return _current().encrypt(e164.encode("ascii")).decode("ascii")


def decrypt_phone(token: str) -> str:
    try:
        return _current().decrypt(token.encode("ascii")).decode("ascii")
    except InvalidToken as error:
        raise FernetKeyError(
            f"this phone number was encrypted with another key than {KEY_VARIABLE}, or it is damaged"
        ) from error


def ensure_local_key(path: Path = LOCAL_KEY_FILE) -> str:
    """Return the key in `path`, first generating it (mode 0600) when the file does not exist.

    For one-machine use only: in production the key is set in the environment and kept elsewhere.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        # Write a private temporary file, then link it into place: a second process starting at the
        # same moment either wins the link or reads the complete key, never half a file.
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".fernet-")  # mode 0600
        try:
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(Fernet.generate_key().decode("ascii") + "\n")
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(temporary)
    key = path.read_text(encoding="ascii").strip()
    _fernet(key)  # fail now, not at the first callback, when the file is damaged
    return key
