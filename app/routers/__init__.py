"""HTTP routes: thin — authenticate, call one service function, return a schema."""

from fastapi import APIRouter

from app.db import TransactionalRoute


def make_router(**kwargs: object) -> APIRouter:
    """A router whose routes run in one transaction, committed before a 2xx leaves."""
    return APIRouter(route_class=TransactionalRoute, **kwargs)  # type: ignore[arg-type]
