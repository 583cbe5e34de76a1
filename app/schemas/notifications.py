"""Shapes of webhooks and of the outbox, as national admins and supervisors manage them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from app.schemas.common import body_config

WebhookEvent = Literal["request.created", "request.state_changed", "message.created"]


class WebhookIn(BaseModel):
    model_config = body_config(
        {
            "url": "https://crm.acaps.ma/hooks/chikaya",
            "events": ["request.created", "request.state_changed"],
            "administration": "ACAPS",
        }
    )

    url: str = Field(
        max_length=2048,
        description="An HTTPS address of the administration's system on the public internet: "
        "no `user:password@`, and a host whose every address is public (checked now and at "
        "each delivery; redirects are not followed).",
    )
    events: list[WebhookEvent] = Field(min_length=1)
    administration: str | None = Field(
        default=None, max_length=32, description="National admins only: whose webhook this is."
    )


class WebhookOut(BaseModel):
    id: int
    administration: str
    url: str
    events: list[str]
    active: bool
    created_at: datetime


class WebhookCreated(WebhookOut):
    secret: str = Field(
        description="The HMAC-SHA256 key, shown only now. Each delivery carries "
        '`Chikaya-Signature: t=<unix time>,v1=<hex HMAC of "<t>.<raw body>">`, '
        "`Chikaya-Delivery` (stable across retries) and `Chikaya-Event`."
    )


class OutboxOut(BaseModel):
    id: int
    message_id: str = Field(description="Stable across retries (email Message-ID, SMS reference).")
    channel: str
    event: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    tracking_number: str | None
