"""Tokens verified once are remembered (signature and claims), yet each use still checks
what changes with time (expiry) and which key signed them."""

from __future__ import annotations

import time

import pytest

from app.config import Settings
from app.errors import InvalidToken
from app.services import auth


def test_a_remembered_token_still_expires(settings: Settings) -> None:
    short = settings.model_copy(update={"tracking_token_ttl_seconds": 1})
    token = auth.tracking_token(7, "K7MDQ2ZX9PT", short)
    assert auth.decode(token, short)["sub"] == "7"
    assert auth.decode(token, short)["sub"] == "7"  # remembered
    time.sleep(max(0.0, auth.decode(token, short)["exp"] - time.time()) + 0.05)
    with pytest.raises(InvalidToken):
        auth.decode(token, short)


def test_a_remembered_token_is_refused_under_another_key(settings: Settings) -> None:
    token = auth.tracking_token(7, "K7MDQ2ZX9PT", settings)
    assert auth.decode(token, settings)["typ"] == "tracking"
    other = settings.model_copy(
        update={"secret_key": type(settings.secret_key)("another-secret-key-long-enough-0123456")}
    )
    with pytest.raises(InvalidToken):
        auth.decode(token, other)


def test_a_tampered_token_is_refused_after_the_genuine_one(settings: Settings) -> None:
    token = auth.tracking_token(7, "K7MDQ2ZX9PT", settings)
    auth.decode(token, settings)
    header, payload, signature = token.split(".")
    forged = f"{header}.{payload}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    with pytest.raises(InvalidToken):
        auth.decode(forged, settings)


def test_callers_cannot_change_what_is_remembered(settings: Settings) -> None:
    token = auth.tracking_token(7, "K7MDQ2ZX9PT", settings)
    auth.decode(token, settings)["sub"] = "8"
    assert auth.decode(token, settings)["sub"] == "7"


@pytest.mark.parametrize(
    "claims",
    [
        {"typ": "tracking", "sub": "7", "trk": "K7MD-Q2ZX-9PT"},
        {"typ": "tracking", "sub": "7", "trk": "K7MD-Q2ZX-9PT", "op": 3, "opv": 2},
        {"typ": "citizen", "sub": "email:fatima.zahra@example.ma"},
        {"typ": "staff", "sub": "12", "ver": 0, "name": "Zineb é ب"},
        # Escaped by the standard library, and past orjson: each written as PyJWT writes it.
        {"typ": "citizen", "sub": 'email:"a\\b"\n\x01@example.ma'},
        {"typ": "staff", "sub": "12", "ver": 2**64},
    ],
)
def test_tokens_are_signed_as_pyjwt_signs_them(settings: Settings, claims: dict) -> None:
    """The signing shortcut writes, byte for byte, the token PyJWT would."""
    import jwt

    token = auth._encode(claims, 600, settings)
    decoded = jwt.decode(token, settings.signing_key(), algorithms=["HS256"])
    assert decoded == {**claims, "iat": decoded["iat"], "exp": decoded["iat"] + 600}
    again = {**claims, "iat": decoded["iat"], "exp": decoded["exp"]}
    assert token == jwt.encode(again, settings.signing_key(), algorithm="HS256")


@pytest.mark.parametrize(
    "key",
    [
        "a-key-shorter-than-the-block-0123456789",
        "a-secret-key-of-exactly-the-block-of-sha-256-sixty-four-bytes-xy",
        "a-secret-key-longer-than-the-block-of-sha-256-is-hashed-first-by-hmac-0123456789",
        "une clé secrète assez longue, en UTF-8 — مفتاح",
        b"\x00\xff raw bytes of a key, not text at all \x00",
    ],
)
def test_tokens_are_signed_as_pyjwt_signs_them_whatever_the_key(key: str | bytes) -> None:
    """Signed as PyJWT signs, whatever the key: shorter than SHA-256's 64-byte block, of it
    exactly, longer (hashed first by HMAC), not ASCII, raw bytes."""
    import jwt

    assert len("a-secret-key-of-exactly-the-block-of-sha-256-sixty-four-bytes-xy") == 64
    claims = {"typ": "tracking", "sub": "7", "trk": "K7MD-Q2ZX-9PT", "iat": 1, "exp": 2}
    for _ in range(2):  # its key prepared, then the prepared key reused
        assert auth._sign(claims, key) == jwt.encode(claims, key, algorithm="HS256")  # type: ignore[arg-type]
