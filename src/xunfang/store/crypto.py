"""Application-layer encryption of protected identity fields (AES-256-GCM).

Caller names and phones, community reporters and dispute parties are stored as
``v1:<base64(nonce | ciphertext | tag)>``, so a copy of the database file (or a PostgreSQL dump)
does not reveal them; the key lives outside the database (``XUNFANG_FIELD_KEY`` or
``XUNFANG_FIELD_KEY_FILE``; production refuses to start without one, see Settings). In development
and test a random key is created once under ``state_dir/field.key`` (mode 0600). Values written
before encryption existed (no ``v1:`` prefix) are read back as they are, and the migration that
introduced this encrypts them.
"""

from __future__ import annotations

import base64
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Dialect, Text
from sqlalchemy.types import TypeDecorator

from xunfang.core.errors import CorruptData, InvalidInput
from xunfang.core.settings import get_settings

PREFIX = "v1:"
KEY_FILE = "field.key"


def _parse_key(text: str, where: str) -> bytes:
    try:
        key = bytes.fromhex(text.strip())
    except ValueError:
        key = b""
    if len(key) != 32:
        raise InvalidInput(f"{where} must hold 64 hex digits (a 256-bit key); got {len(text.strip())} chars")
    return key


def _dev_key(state_dir: Path) -> bytes:
    """The development key, created atomically on first use (two processes may race here)."""
    path = state_dir / KEY_FILE
    if path.exists():
        return _parse_key(path.read_text(), str(path))
    state_dir.mkdir(parents=True, exist_ok=True)
    tmp = state_dir / f".{KEY_FILE}.{os.getpid()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(os.urandom(32).hex())
        fh.flush()
        os.fsync(fh.fileno())
    try:
        os.link(tmp, path)  # atomic: a racing process either wins or reads the complete winner
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    return _parse_key(path.read_text(), str(path))


@lru_cache(maxsize=8)
def _aead(field_key: str, key_file: Path | None, state_dir: Path) -> AESGCM:
    if field_key:
        return AESGCM(_parse_key(field_key, "XUNFANG_FIELD_KEY"))
    if key_file is not None:
        return AESGCM(_parse_key(key_file.read_text(), str(key_file)))
    return AESGCM(_dev_key(state_dir))


def cipher() -> AESGCM:
    s = get_settings()
    return _aead(s.field_key, s.field_key_file, s.state_dir)


def encrypt(value: str) -> str:
    nonce = os.urandom(12)
    blob = nonce + cipher().encrypt(nonce, value.encode("utf-8"), PREFIX.encode())
    return PREFIX + base64.b64encode(blob).decode("ascii")


def decrypt(value: str) -> str:
    if not value.startswith(PREFIX):
        return value  # written before field encryption; the d001 migration encrypts these
    blob = base64.b64decode(value[len(PREFIX) :])
    try:
        return cipher().decrypt(blob[:12], blob[12:], PREFIX.encode()).decode("utf-8")
    except InvalidTag:
        raise CorruptData(
            "a protected field cannot be decrypted with the configured key "
            "(XUNFANG_FIELD_KEY / XUNFANG_FIELD_KEY_FILE changed or lost?)"
        ) from None


class EncryptedText(TypeDecorator[str]):
    """A text column whose value is AES-256-GCM encrypted at bind time and decrypted on load."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else encrypt(str(value))

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else decrypt(str(value))
