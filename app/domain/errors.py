"""The error a pure helper or a pydantic validator raises for one bad field."""

from __future__ import annotations

from typing import Any


class FieldCodeError(ValueError):
    """Raised by pydantic validators to report a localized field error code."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params
