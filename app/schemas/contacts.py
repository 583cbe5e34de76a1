"""Contact fields as citizens type them, normalized once for every schema that takes them:
an email lower-cased in its domain, a phone in E.164 (Moroccan national form accepted). A bad
one is a field error with its own code."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator

from app.domain.contacts import normalize_email, normalize_phone


def _email(value: str | None) -> str | None:
    return normalize_email(value) if value else None


def _phone(value: str | None) -> str | None:
    return normalize_phone(value) if value else None


Email = Annotated[str | None, AfterValidator(_email)]
Phone = Annotated[str | None, AfterValidator(_phone)]
