"""Passwords (argon2) and bearer tokens (signed JWT) for staff, tracked requests and citizens."""

from __future__ import annotations

import asyncio
import binascii
import hashlib
import hmac
import json
import time
from datetime import datetime
from typing import Any

import jwt
import orjson
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from jwt.algorithms import HMACAlgorithm

from app.config import Settings
from app.errors import InvalidToken

ALGORITHM = "HS256"


class _KeyCheckedOnce(HMACAlgorithm):
    """HS256 whose key is checked once per key, not once per token: PyJWT's check (that the
    secret is not shaped like a PEM or DER public key) tries a DER parse on every call, a
    quarter of a token's decoding time."""

    def __init__(self) -> None:
        super().__init__(HMACAlgorithm.SHA256)
        self._prepared: dict[str | bytes, bytes] = {}

    def prepare_key(self, key: str | bytes) -> bytes:
        prepared = self._prepared.get(key)
        if prepared is None:
            prepared = super().prepare_key(key)
            if len(self._prepared) < 8:  # the signing key, and a test's own keys at most
                self._prepared[key] = prepared
        return prepared


# Claims are checked as by `jwt.decode`; only the signing layer's HS256 is the one above.
_jwt = jwt.PyJWT()
_HS256 = _KeyCheckedOnce()
_jwt._jws.unregister_algorithm(ALGORITHM)
_jwt._jws.register_algorithm(ALGORITHM, _HS256)
_hasher = PasswordHasher()
# Verified against when an account does not exist, so both cases cost the same time.
_DUMMY_HASH = _hasher.hash("an account that does not exist")


async def hash_password(password: str) -> str:
    # argon2 is deliberately slow: keep it off the event loop.
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    def check() -> bool:
        try:
            return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(check)


def _encode(
    claims: dict[str, Any],
    ttl_seconds: int,
    settings: Settings,
    *,
    not_after: datetime | None = None,
) -> str:
    # Whole seconds since the epoch, as `timegm(utctimetuple())` gave them (truncating is
    # flooring after 1970), read from the clock `datetime.now` reads, without an aware
    # datetime, a timedelta and two conversions per token when no `not_after` caps it.
    issued = int(time.time())
    expires = issued + ttl_seconds
    if not_after is not None:
        expires = min(expires, int(not_after.timestamp()))
    payload = {**claims, "iat": issued, "exp": expires}
    return _sign(payload, settings.signing_key())


# base64url without padding (RFC 7515), as `base64.urlsafe_b64encode(data).rstrip(b"=")`
# writes it, without that function's two layers.
_URLSAFE = bytes.maketrans(b"+/", b"-_")


def _b64(data: bytes) -> bytes:
    return binascii.b2a_base64(data, newline=False).translate(_URLSAFE).rstrip(b"=")


# The header of every token, as PyJWT writes it (keys sorted, no spaces).
_HEADER = _b64(json.dumps({"alg": ALGORITHM, "typ": "JWT"}, separators=(",", ":")).encode())


def _claims_json(payload: dict[str, Any]) -> bytes:
    """The claims (strings and integers) as PyJWT writes them, `json.dumps(payload,
    separators=(",", ":"))` (ASCII, escapes as `\\uXXXX`), by orjson when that is the same
    bytes, nothing escaped and nothing past ASCII: a tenth of the standard library's time."""
    try:
        data = orjson.dumps(payload)
    except TypeError:  # an integer past 64 bits, a key that is no string
        data = b"\\"
    if data.isascii() and b"\\" not in data:
        return data
    return json.dumps(payload, separators=(",", ":")).encode()


def _sign(payload: dict[str, Any], key: str) -> str:
    """The HS256 token of `payload`, byte for byte what `jwt.encode` makes of it (its claims
    already JSON: the times as integers), without its generic layers (headers merged and
    validated, the algorithm looked up, a key object per call): a token per submission."""
    body = _b64(_claims_json(payload))
    signing_input = _HEADER + b"." + body
    # The one-shot `hmac.digest` runs in C (OpenSSL) with no HMAC object built per token.
    signature = hmac.digest(_HS256.prepare_key(key), signing_input, hashlib.sha256)
    return (signing_input + b"." + _b64(signature)).decode()


def staff_token(user_id: int, settings: Settings, *, version: int) -> str:
    """`ver` is the account's `token_version`: bumping it revokes every token issued before."""
    return _encode(
        {"typ": "staff", "sub": str(user_id), "ver": version},
        settings.staff_token_ttl_seconds,
        settings,
    )


def tracking_token(
    request_id: int,
    tracking_number: str,
    settings: Settings,
    *,
    operator: tuple[int, int] | None = None,
    not_after: datetime | None = None,
) -> str:
    """A short-lived token that opens one request, and only that one.

    An operator helping a caller gets an assisted one: `op`/`opv` name the operator and their
    `token_version` (so a deactivation kills it too), and it dies with their staff token at the
    latest (`not_after`)."""
    claims: dict[str, Any] = {"typ": "tracking", "sub": str(request_id), "trk": tracking_number}
    if operator is not None:
        claims["op"], claims["opv"] = operator
    return _encode(claims, settings.tracking_token_ttl_seconds, settings, not_after=not_after)


def citizen_token(channel: str, contact: str, settings: Settings) -> str:
    """A session of the citizen who proved they hold `contact` (`channel` "email" or "sms"):
    it opens every request bearing that contact, and nothing else."""
    return _encode(
        {"typ": "citizen", "sub": f"{channel}:{contact}"},
        settings.citizen_token_ttl_seconds,
        settings,
    )


# Tokens already verified, by (key, token): their claims and expiry. A client sends the same
# token call after call; its signature and claims are checked the first time, only its expiry
# afterwards (what PyJWT checks of a token that passed once: `exp` alone changes with time).
# The key is part of the entry, so another key verifies afresh. Bounded: the oldest go first.
_VERIFIED: dict[tuple[str | bytes, str], tuple[float, dict[str, Any]]] = {}
_VERIFIED_MAX = 4096


def decode(token: str, settings: Settings) -> dict[str, Any]:
    key = settings.signing_key()
    known = _VERIFIED.get((key, token))
    if known is not None:
        expires, claims = known
        if expires > time.time():
            return dict(claims)
        del _VERIFIED[(key, token)]
    try:
        claims = _jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            options={"require": ["exp", "iat", "sub", "typ"]},
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken() from exc
    if claims["typ"] not in ("staff", "tracking", "citizen"):
        raise InvalidToken()
    if len(_VERIFIED) >= _VERIFIED_MAX:
        del _VERIFIED[next(iter(_VERIFIED))]
    _VERIFIED[(key, token)] = (float(claims["exp"]), dict(claims))
    return claims
