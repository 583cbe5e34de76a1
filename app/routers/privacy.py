"""The privacy notice (law 09-08): public, localized, cacheable."""

from __future__ import annotations

from fastapi import Response

from app.deps import AppSettings
from app.i18n import current_language
from app.routers import make_router
from app.schemas.privacy import PRIVACY_NOTICE_PATH, PrivacyNotice
from app.services import privacy

router = make_router(tags=["privacy"])

EXAMPLE = {
    "language": "en",
    "title": "Personal data protection notice",
    "controller": {
        "name": "Ministry of Digital Transition and Administrative Reform, operator of the "
        "Chikaya portal",
        "email": "donnees-personnelles@chikaya.ma",
        "postal_address": None,
        "website": "https://www.chikaya.ma",
    },
    "purposes": ["Receiving your complaint, ..."],
    "legal_basis": [{"reference": "law 09-08", "text": "Law 09-08 on the protection of ..."}],
    "retention": {"days_after_close": 1825, "text": "Your personal data is kept ..."},
    "recipients": ["The administration your request concerns ..."],
    "rights": [
        {
            "right": "access",
            "text": "Access: obtain your requests, ...",
            "endpoints": ["GET /api/v1/citizens/me/export"],
        }
    ],
    "how_to_exercise": "Sign in with a one-time code ...",
    "cndp_declaration": "D-GC-123/2026",
}


@router.get(
    PRIVACY_NOTICE_PATH,
    summary="Privacy notice (law 09-08)",
    operation_id="getPrivacyNotice",
    response_model=PrivacyNotice,
    responses={200: {"content": {"application/json": {"example": EXAMPLE}}}},
)
async def get_privacy_notice(settings: AppSettings, response: Response) -> PrivacyNotice:
    """What the portal does with personal data, told before anyone gives it (law 09-08,
    article 5): the controller and how to reach it, the purposes, the legal basis (law 09-08,
    decree 2-17-265, law 31-13 for information requests), how long data is kept after a request
    is closed (`RETENTION_DAYS_AFTER_CLOSE`), who receives it, the rights of access,
    rectification and objection and how to exercise them, and the CNDP declaration reference.

    In Arabic, French or English by `Accept-Language`. Public and cacheable for an hour
    (`Vary: Accept-Language`)."""
    language = current_language.get()
    response.headers["Cache-Control"] = "public, max-age=3600"
    response.headers["Vary"] = "Accept-Language"
    response.headers["Content-Language"] = language
    return privacy.notice(settings, language)
