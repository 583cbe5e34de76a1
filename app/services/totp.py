"""The TOTP second factor (RFC 6238, `pyotp`): 6 digits, 30-second steps."""

from __future__ import annotations

import hmac
from datetime import datetime

import pyotp

from app.models.enums import Role

# Roles that can see or change every request of an administration (or of all) log in with a code.
REQUIRED_FOR = frozenset({Role.supervisor, Role.national_admin})
# One step of clock drift either way between the phone and the server.
DRIFT_STEPS = 1


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str, issuer: str) -> str:
    """The `otpauth://` URI an authenticator app scans (as a QR code) or imports."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)


def code_at(secret: str, moment: datetime) -> str:
    return pyotp.TOTP(secret).at(moment)


def matching_step(secret: str, code: str, now: datetime, last_step: int | None) -> int | None:
    """The time step whose code `code` is, if it is within the drift and newer than the last
    accepted one (a code is never accepted twice); otherwise None."""
    code = code.strip().replace(" ", "")
    if len(code) != 6 or not code.isascii() or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    found = None
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        # Compare every candidate: the time taken does not tell which one matched.
        if hmac.compare_digest(totp.generate_otp(step), code) and (
            last_step is None or step > last_step
        ):
            found = step
    return found
