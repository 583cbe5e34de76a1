"""A self-hosted proof of work (ALTCHA v1) that lets a person past the per-address ceiling.

People behind one shared address (a family, an office, a mobile operator's NAT) share its
submission ceiling; whoever solves a challenge files anyway, with no third-party captcha
service. The challenge is stateless (signed with a key derived from the app's secret, its
expiry in the salt as ALTCHA does); a solution serves once: spent challenges are kept in
PostgreSQL until they expire, in the transaction of the submission they let through.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from altcha.v1 import (
    AlgoType,
    ChallengeOptions,
    PayloadType,
    create_challenge,
    extract_params,
    verify_solution,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.errors import ChallengeExpired, ChallengeInvalid, ChallengeUsed
from app.repositories import challenges as repository
from app.schemas.challenges import ChallengeOut

ALGORITHM: Final[AlgoType] = "SHA-256"
# A solution is about 250 characters of base64; anything much longer is not one.
MAX_HEADER_LENGTH = 2048


def hmac_key(settings: Settings) -> str:
    """The challenges' signing key: derived from the app's secret, so it is never the token
    key itself and every API process derives the same one."""
    return hmac.new(
        settings.signing_key().encode(), b"chikaya altcha v1 challenges", hashlib.sha256
    ).hexdigest()


def create(key: str, settings: Settings, now: datetime) -> ChallengeOut:
    challenge = create_challenge(
        ChallengeOptions(
            algorithm=ALGORITHM,
            max_number=settings.challenge_max_number,
            hmac_key=key,
            expires=now + timedelta(seconds=settings.challenge_ttl_seconds),
        )
    )
    return ChallengeOut(
        algorithm=ALGORITHM,
        challenge=challenge.challenge,
        salt=challenge.salt,
        signature=challenge.signature,
        maxnumber=challenge.max_number,
    )


def _decode(header: str) -> PayloadType:
    """The solution's JSON object, with the types ALTCHA expects, or `challenge_invalid`."""
    if len(header) > MAX_HEADER_LENGTH:
        raise ChallengeInvalid()
    try:
        data: Any = json.loads(base64.b64decode(header.strip(), validate=True))
    except (binascii.Error, ValueError, RecursionError):  # bad base64, UTF-8 or JSON
        raise ChallengeInvalid() from None
    if not isinstance(data, dict):
        raise ChallengeInvalid()
    texts = ("algorithm", "challenge", "salt", "signature")
    number = data.get("number")
    if not all(isinstance(data.get(name), str) for name in texts) or (
        type(number) is not int or number < 0
    ):
        raise ChallengeInvalid()
    if data["algorithm"] != ALGORITHM:
        raise ChallengeInvalid()
    payload: PayloadType = {
        "algorithm": ALGORITHM,
        "challenge": data["challenge"],
        "number": number,
        "salt": data["salt"],
        "signature": data["signature"],
    }
    return payload


async def spend(session: AsyncSession, header: str, key: str, now: datetime) -> None:
    """Accept the solution in `X-Altcha` once: `challenge_invalid` when it is not a solution of
    one of our challenges, `challenge_expired` past its expiry, `challenge_used` the second
    time (also when the first use is still being committed: it waits for that transaction)."""
    payload = _decode(header)
    # Expiry is checked against the app's clock below, not ALTCHA's wall clock.
    verified, _ = verify_solution(payload, key, check_expires=False)
    if not verified:
        raise ChallengeInvalid()
    try:
        expires = datetime.fromtimestamp(int(extract_params(payload)["expires"][0]), UTC)
    except (KeyError, IndexError, ValueError, OverflowError, OSError):
        raise ChallengeInvalid() from None  # signed by us, so never: every challenge expires
    if expires <= now:
        raise ChallengeExpired()
    if not await repository.spend(session, payload["challenge"], expires):
        raise ChallengeUsed()


async def purge_expired(session: AsyncSession, now: datetime) -> None:
    """Forget spent challenges past their expiry (periodic work)."""
    await repository.purge_expired(session, now)
