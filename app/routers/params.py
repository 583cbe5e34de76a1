"""Path and query parameters several routers take, declared once."""

from typing import Annotated

from fastapi import Query

# Keyset pagination: a page of at most `limit` items, after `cursor` (the last page's
# `next_cursor`).
Limit = Annotated[int, Query(ge=1, le=100)]
Cursor = Annotated[str | None, Query(max_length=200)]
