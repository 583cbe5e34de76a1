"""Logging that keeps personal data out (law 09-08): access lines lose their query strings."""

from __future__ import annotations

import logging


class DropQueryStrings(logging.Filter):
    """Uvicorn's access line carries the full path; search terms and names must not be logged."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            path = args[2].split("?", 1)[0]
            record.args = (*args[:2], path, *args[3:])
        return True


def install() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, DropQueryStrings) for f in access.filters):
        access.addFilter(DropQueryStrings())
