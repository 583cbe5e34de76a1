"""Shape of the proof-of-work challenge (ALTCHA v1)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ChallengeOut(BaseModel):
    """Find `number` in 0..`maxnumber` with SHA-256(`salt` + `number`) = `challenge` (hex);
    send `{algorithm, challenge, number, salt, signature}` as base64-encoded JSON in the
    `X-Altcha` header of a submission. The ALTCHA widget does this by itself."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "algorithm": "SHA-256",
                "challenge": "4ea0a8e0c3f7d1f1c6a0f2fd2c4d5b1f0e0b8f1a3a7c9e2d4b6a8c0e2f4a6b8c",
                "salt": "5d1b9e0f3a7c2d4e6f8a0b1c?expires=1795000000&",
                "signature": "9b7f1e3d5c7a9b1d3f5e7c9a1b3d5f7e9c1a3b5d7f9e1c3a5b7d9f1e3c5a7b9d",
                "maxnumber": 100000,
            }
        }
    )

    algorithm: Literal["SHA-256"]
    challenge: str = Field(description="The hash to find, in hexadecimal.")
    salt: str = Field(description="Prefix of the hashed text; carries the expiry.")
    signature: str = Field(description="The server's HMAC of `challenge`; send it back.")
    maxnumber: int = Field(description="The largest number to try.")
