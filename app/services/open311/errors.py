"""Open311's own errors: GeoReport error lists (`[{code, description}]`), not problem
documents, since that is what its clients parse."""

from __future__ import annotations

from app.i18n import translate
from app.schemas.open311 import ErrorItem


class Open311Error(Exception):
    """Rendered as GeoReport's error list: `[{"code": ..., "description": ...}]`."""

    def __init__(self, status: int, *descriptions: str) -> None:
        super().__init__(*descriptions)
        self.status = status
        self.descriptions = list(descriptions)


def error(status: int, key: str, **params: object) -> Open311Error:
    """The error of message `open311.<key>`, in the language of the request."""
    return Open311Error(status, translate(f"open311.{key}", None, **params))


def errors_body(failure: Open311Error) -> list[ErrorItem]:
    return [ErrorItem(code=failure.status, description=text) for text in failure.descriptions]
