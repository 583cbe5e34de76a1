"""HTTP routes: thin — authenticate, call one service function, return a schema."""

from collections.abc import Mapping
from typing import Any

import orjson
from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette._utils import get_route_path
from starlette.routing import Match
from starlette.types import Scope

from app.db import TransactionalRoute


class _Router(APIRouter):
    """A router that turns away a path none of its routes can match at a glance: the static
    start of each route's path (up to its first parameter) is a prefix of every path the
    route matches, so a path starting with none of them matches nothing here (`NONE`, not
    even the `PARTIAL` of another method). FastAPI otherwise tries the request on every
    route of every router included before the one that serves it, each through several
    layers (a tenth of the queue page's CPU, ten routers down). The routers are included at
    the application's root (`app.main`), so a route's path is the path it matches."""

    _heads: tuple[int, tuple[str, ...] | None] = (-1, None)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        heads = self._static_heads()
        if heads is not None and not get_route_path(scope).startswith(heads):
            return Match.NONE, {}
        return super().matches(scope)

    def _static_heads(self) -> tuple[str, ...] | None:
        """The static starts of the routes' paths (None when a route is not a plain API
        route), computed again whenever routes were added."""
        count, heads = self._heads
        if count != len(self.routes):
            heads = None
            if all(isinstance(route, APIRoute) for route in self.routes):
                heads = tuple(
                    route.path_format.split("{", 1)[0]
                    for route in self.routes
                    if isinstance(route, APIRoute)
                )
            self._heads = (len(self.routes), heads)
        return heads


def make_router(**kwargs: object) -> APIRouter:
    """A router whose routes run in one transaction, committed before a 2xx leaves."""
    return _Router(route_class=TransactionalRoute, **kwargs)  # type: ignore[arg-type]


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


def plain_json_response(
    content: Any, *, status_code: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """`JSONResponse(content)` byte for byte, serialized by orjson instead of the standard
    library's encoder (about a hundredth of a submission's CPU), for content of strings,
    integers, booleans, None, lists and dictionaries with string keys: floats, which the two
    write differently, are not for here. What orjson refuses (a lone surrogate, an integer
    past 64 bits, a key that is no string) goes to `JSONResponse`, which answers or fails as
    it did."""
    try:
        body = orjson.dumps(content)
    except TypeError:
        return JSONResponse(content, status_code=status_code, headers=headers)
    return Response(body, status_code=status_code, headers=headers, media_type="application/json")
