"""Shapes of the FAQ."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from app.schemas.common import Localized, body_config


class FaqIn(BaseModel):
    model_config = body_config(
        {
            "topic": "tracking",
            "position": 1,
            "question": {
                "ar": "كيف أتتبع شكايتي؟",
                "fr": "Comment suivre ma réclamation ?",
                "en": "How do I follow my complaint?",
            },
            "answer": {
                "ar": "أدخل رقم التتبع والبريد الإلكتروني أو الهاتف.",
                "fr": "Saisissez le numéro de suivi et l'e-mail ou le téléphone.",
                "en": "Enter the tracking number and the email or phone.",
            },
        }
    )

    topic: str = Field(pattern=r"^[a-z][a-z0-9_-]{1,63}$")
    position: int = Field(default=0, ge=0, le=10000)
    question: Localized
    answer: Localized


class FaqOut(FaqIn):
    id: int
    updated_at: datetime
