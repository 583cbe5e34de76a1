"""Shape of a receipt's public verification."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from app.models.enums import Kind
from app.schemas.requests import AdministrationRef, ServiceRef


class ReceiptCheck(BaseModel):
    """What the genuine receipt says — nothing about who filed the request."""

    valid: Literal[True] = True
    receipt_code: str = Field(examples=["K7MD-Q2ZX-9PTA"])
    tracking_number: str
    kind: Kind
    administration: AdministrationRef
    service: ServiceRef | None
    received_at: datetime
    created_at: datetime
    due_at: datetime
