"""The SQL statements a block of code sends, as the driver receives them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event


@contextmanager
def recorded(target: Any, keep: Callable[[str], bool] = lambda _: True) -> Iterator[list[str]]:
    """The statements run on `target` (an engine's or a connection's sync side) inside the
    block, those `keep` accepts, in order."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if keep(statement):
            statements.append(statement)

    event.listen(target, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(target, "before_cursor_execute", record)
