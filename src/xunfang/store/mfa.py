"""TOTP second factor (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits) on top of pyotp.

A code is accepted for the current step and one step either side (a phone clock 30 s off still
works), and only once: the accepted step is remembered and a code for that step or an earlier one
is refused, so a code seen over a shoulder or in a proxy log cannot be replayed.
"""

from __future__ import annotations

import hmac
from datetime import datetime

import pyotp

ISSUER = "xunfang"
DIGITS = 6
STEP_S = 30
DRIFT_STEPS = 1


def new_secret() -> str:
    """A random 160-bit base32 secret (what authenticator apps expect)."""
    return pyotp.random_base32(32)


def provisioning_uri(name: str, secret: str) -> str:
    """The ``otpauth://totp/...`` URI an authenticator app scans (as a QR code) or imports."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_S).provisioning_uri(name=name, issuer_name=ISSUER)


def code_at(secret: str, when: datetime) -> str:
    """The code for ``when`` (tests, and the CLI's confirmation hint)."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_S).at(when)


def accept(secret: str, code: str, *, now: datetime, last_step: int | None) -> int | None:
    """The time step ``code`` belongs to, or None when it is wrong, too old or already used."""
    code = code.strip().replace(" ", "")
    if len(code) != DIGITS or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_S)
    current = totp.timecode(now)
    for offset in range(-DRIFT_STEPS, DRIFT_STEPS + 1):
        step = current + offset
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None
