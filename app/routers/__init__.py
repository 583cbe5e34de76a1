"""HTTP routes: thin — authenticate, call one service function, return a schema."""

from collections.abc import Mapping

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel

from app.db import TransactionalRoute


def make_router(**kwargs: object) -> APIRouter:
    """A router whose routes run in one transaction, committed before a 2xx leaves."""
    return APIRouter(route_class=TransactionalRoute, **kwargs)  # type: ignore[arg-type]


def json_response(
    model: BaseModel, *, headers: Mapping[str, str] | None = None, status_code: int = 200
) -> Response:
    """A schema its constructor has already validated, serialized once by pydantic-core. (A
    route returning the model itself has FastAPI validate it again against the response model
    before serializing it.) The route names its `response_model` for the document."""
    return Response(
        model.model_dump_json(by_alias=True),
        status_code=status_code,
        headers=headers,
        media_type="application/json",
    )
