"""Shapes of documents attached to a request."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class AttachmentOut(BaseModel):
    id: int
    name: str = Field(description="The original file name, sanitized, for display only.")
    content_type: str = Field(description="Detected from the content, never from the name.")
    size: int = Field(description="Bytes.")
    sha256: str = Field(description="Hex SHA-256 of the content.")
    uploaded_by: str = Field(description="The uploader's role: citizen, agent, supervisor, ...")
    created_at: datetime


UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["files"],
                "properties": {
                    "files": {
                        "type": "array",
                        "items": {"type": "string", "format": "binary"},
                        "description": "One or several documents: PDF, JPEG, PNG, WebP, HEIC, "
                        "DOCX or ODT, each up to the size limit.",
                    }
                },
            }
        }
    },
}
