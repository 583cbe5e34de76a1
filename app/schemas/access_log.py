"""The access log as a request's citizen reads it."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from app.schemas.requests import AdministrationRef, StaffRef


class AccessLogItem(BaseModel):
    at: datetime = Field(description="When the file was opened.")
    role: str = Field(
        description="Who opened it: agent, supervisor, operator, national_admin or integration.",
        examples=["agent"],
    )
    administration: AdministrationRef | None = Field(
        description="The reader's administration (none for a national administrator)."
    )
    what: Literal["detail", "messages", "attachments", "download", "export"] = Field(
        description="What was read: the request, its conversation, its documents' list, "
        "one document, or its line of a CSV export with personal data."
    )


class AccessLogPage(BaseModel):
    """One page, newest first; pass `next_cursor` back as `cursor` for the next."""

    items: list[AccessLogItem]
    next_cursor: str | None = Field(
        default=None, description="Opaque cursor of the next page; absent on the last page."
    )


class StaffAccessLogItem(AccessLogItem):
    reader: StaffRef | None = Field(description="The staff member who read it.")
    api_key: str | None = Field(description="The integration key's name, for a key's read.")


class StaffAccessLogPage(BaseModel):
    """One page, newest first; pass `next_cursor` back as `cursor` for the next."""

    items: list[StaffAccessLogItem]
    next_cursor: str | None = Field(
        default=None, description="Opaque cursor of the next page; absent on the last page."
    )
