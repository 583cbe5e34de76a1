"""Proof-of-work challenges (ALTCHA v1): a person behind a busy shared address files anyway."""

from typing import Annotated

from fastapi import Depends, Request, Response

from app.deps import AppSettings, challenge_key_of
from app.routers import make_router
from app.schemas.challenges import ChallengeOut
from app.services import challenges, clock

router = make_router(prefix="/api/v1/challenges", tags=["requests"])


async def challenge_key(request: Request, settings: AppSettings) -> str:
    """The challenges' HMAC key, derived from the app's secret once per app."""
    return challenge_key_of(request, settings)


ChallengeKey = Annotated[str, Depends(challenge_key)]


@router.get(
    "",
    summary="A proof-of-work challenge for filing past the per-address ceiling",
    operation_id="getChallenge",
)
async def get_challenge(
    key: ChallengeKey, settings: AppSettings, response: Response
) -> ChallengeOut:
    """Anonymous submissions are limited per client address and hour. Someone who shares a
    busy address (an office, a mobile network) solves this challenge (ALTCHA v1, a second or
    so in a browser, no third-party service) and sends the solution in the `X-Altcha` header
    of `POST /api/v1/requests`, which then files past the ceiling. Each solution serves once,
    within its expiry (in the salt's `expires`, a Unix time)."""
    response.headers["Cache-Control"] = "no-store"
    return challenges.create(key, settings, clock.now())
