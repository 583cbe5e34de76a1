"""A route's dependencies solved by a plan made once, instead of FastAPI's walk per request.

FastAPI's `solve_dependencies` works out again, at every request and for every node of the
route's dependency tree, what it could know once: the node's cache key (its OAuth2 scopes
gathered and sorted), whether its callable is a generator or a coroutine, four parameter
lists to read (the empty ones too, after parsing the query string and the cookies for them),
and a result object per node; and its request handler parses the body's `Content-Type` with
the `email` package. For a submission that was about a tenth of the server's CPU
(callgrind, in process: 3.12 M instructions per submission before, 2.85 M with the plan,
2.54 M with the endpoint called straight and the driver's own pool).

`plan` turns a route's dependant into `_Node`s once, for the trees it can solve exactly as
FastAPI would: coroutine dependencies and endpoint, no generator dependency, no OAuth2
scopes, no dependency-level concurrency limit, no form body, no body parameter below the
endpoint, no websocket, no background tasks. Anything else gets None and keeps FastAPI's
handler (`TransactionalRoute`), as does any request while the app has dependency overrides
or FastAPI's OpenTelemetry records it.

`planned_handler` serves a planned route. An endpoint annotated to return a `Response` (every
hot path: they serialize their own answers) is called straight with its arguments; any other
is run by FastAPI's own request handler as an endpoint with nothing to solve but the request
and the response FastAPI hands to dependencies, so that its validation and serialization of
what the endpoint returns stay FastAPI's. The plan reads the parameters as FastAPI's
`request_params_to_args` reads them (the keys, list-ness and defaults worked out once) and
the body with FastAPI's `request_body_to_args`, in FastAPI's order (the sub-dependencies
first, each before its dependant; then path, query, header and cookie parameters; the body
last), runs each dependency once per request unless it asks not to be cached, and refuses
with the same `RequestValidationError`: the same errors, in the same order, with the same
body. `tests/test_solver.py` holds the answers of both ways equal.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import params
from fastapi._body_limit import get_body_limit_error
from fastapi._compat import ModelField, field_annotation_is_sequence, lenient_issubclass
from fastapi.datastructures import DefaultPlaceholder
from fastapi.dependencies.models import (
    Dependant,
    _is_async_gen_callable,
    _is_coroutine_callable,
    _is_gen_callable,
)
from fastapi.dependencies.utils import (
    _get_param_aliases,
    _get_param_model,
    _is_json_field,
    _validate_value_with_model_field,
    get_typed_return_annotation,
    request_body_to_args,
)
from fastapi.exceptions import RequestValidationError
from fastapi.routing import (
    APIRoute,
    _effective_route_context_var,
    _extract_endpoint_context,
    get_request_handler,
)
from fastapi.telemetry import get_telemetry_data
from pydantic_core import PydanticUndefined, from_json
from starlette.exceptions import HTTPException  # FastAPI's handler catches and raises this one
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY
from starlette.requests import Request
from starlette.responses import Response

Runner = Callable[[Request, Response], Awaitable[Any]]
Handler = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True, slots=True)
class _Param:
    """A path, query, header or cookie parameter, with what FastAPI's `request_params_to_args`
    works out of its field at every request worked out once: the keys it may come under, in
    FastAPI's order of preference, and whether it is read as a list."""

    field: ModelField
    keys: tuple[str, ...]
    many: bool  # every occurrence of its key (a list, from the query string or the headers)
    listed: bool  # a list: an empty one counts as absent
    where: str  # the first part of its errors' `loc`

    def read(self, received: Any, values: dict[str, Any], errors: list[Any]) -> None:
        """Its value from `received`, validated into `values`, or its errors into `errors`."""
        key = next((key for key in self.keys if key in received), self.keys[0])
        value = received.getlist(key) if self.many else received.get(key, None)
        if value is None or (self.listed and len(value) == 0):
            value = PydanticUndefined  # its default applies in validation
        found, failed = _validate_value_with_model_field(
            field=self.field, value=value, values=values, loc=(self.where, key)
        )
        if failed:
            errors.extend(failed)
        else:
            values[self.field.name] = found


def _params(fields: list[ModelField], where: str) -> tuple[_Param, ...] | None:
    """The fields as `_Param`s; None if one is a model of parameters (FastAPI's handler then
    serves the route)."""
    made = []
    for field in fields:
        if _get_param_model(field) is not None:
            return None
        listed = field_annotation_is_sequence(field.field_info.annotation)
        made.append(
            _Param(
                field=field,
                keys=tuple(key for _, key in _get_param_aliases(field)),
                many=listed and where in ("query", "header") and not _is_json_field(field),
                listed=listed,
                where=where,
            )
        )
    return tuple(made)


@dataclass(frozen=True, slots=True)
class _Node:
    """One dependant, as the plan solves it: its callable, under which name its value goes to
    its parent, its own sub-dependencies, and the parameters it reads (empty ones left out)."""

    call: Callable[..., Awaitable[Any]]
    name: str | None
    use_cache: bool
    subs: tuple[_Node, ...]
    params: tuple[tuple[str, tuple[_Param, ...]], ...]  # (the request's attribute, its params)
    request_names: tuple[str, ...]  # `Request` (or `HTTPConnection`) parameters
    response_name: str | None


def _node(dependant: Dependant, *, top: bool) -> _Node | None:
    call = dependant.call
    if (
        call is None
        or not _is_coroutine_callable(call)
        or _is_gen_callable(call)
        or _is_async_gen_callable(call)
        or dependant.websocket_param_name
        or dependant.background_tasks_param_name
        or dependant.security_scopes_param_name
        or dependant.own_oauth_scopes
        or dependant.parent_oauth_scopes
        or dependant.concurrency is not None
        # Below the endpoint, a scope would enter FastAPI's cache key; its body is the
        # endpoint's alone.
        or (not top and (dependant.scope is not None or dependant.body_params))
    ):
        return None
    subs = []
    for sub in dependant.dependencies:
        node = _node(sub, top=False)
        if node is None:
            return None
        subs.append(node)
    params = []
    for source, fields, where in (
        ("path_params", dependant.path_params, "path"),
        ("query_params", dependant.query_params, "query"),
        ("headers", dependant.header_params, "header"),
        ("cookies", dependant.cookie_params, "cookie"),
    ):
        made = _params(fields, where)
        if made is None:
            return None
        if made:
            params.append((source, made))
    names = (dependant.request_param_name, dependant.http_connection_param_name)
    return _Node(
        call=call,
        name=dependant.name,
        use_cache=dependant.use_cache,
        subs=tuple(subs),
        params=tuple(params),
        request_names=tuple(name for name in names if name),
        response_name=dependant.response_param_name,
    )


async def _solve(
    node: _Node,
    request: Request,
    response: Response,
    cache: dict[Callable[..., Any], Any],
    errors: list[Any],
) -> dict[str, Any]:
    """The arguments of `node.call`: its dependencies run (or taken from this request's
    `cache`), its parameters read; their errors added to `errors`, as FastAPI adds them."""
    values: dict[str, Any] = {}
    for sub in node.subs:
        before = len(errors)
        arguments = await _solve(sub, request, response, cache, errors)
        if len(errors) > before:  # FastAPI does not run a dependency whose inputs failed
            continue
        if sub.use_cache and sub.call in cache:
            solved = cache[sub.call]
        else:
            solved = await sub.call(**arguments)
        if sub.name is not None:
            values[sub.name] = solved
        if sub.call not in cache:
            cache[sub.call] = solved
    for source, group in node.params:
        received = getattr(request, source)
        found: dict[str, Any] = {}
        for param in group:
            param.read(received, found, errors)
        values.update(found)
    for name in node.request_names:
        values[name] = request
    if node.response_name:
        values[node.response_name] = response
    return values


def _content_type(value: str) -> str:
    """The media type of a `Content-Type` value as the `email` package reads it (FastAPI's
    handler asks `email.message.Message`): what precedes the first `;`, stripped and lowered;
    `text/plain` unless it holds exactly one `/`."""
    media = value.partition(";")[0].strip().lower()
    return media if media.count("/") == 1 else "text/plain"


def _context(endpoint: Callable[..., Any], path: str | None, request: Request) -> Any:
    """What FastAPI's handler tells of the endpoint in a validation error (made only for
    one)."""
    context = dict(_extract_endpoint_context(endpoint))
    if path:
        mount = request.scope.get("root_path", "").rstrip("/")
        context["path"] = f"{request.method} {mount}{path}"
    return context


def _parsed(request: Request, raw: bytes) -> Any:
    """`raw` parsed as Starlette's `Request.json` parses it (`json.loads`), kept on the request
    as it keeps it. pydantic-core's parser reads first, in a fifth of the time, with the same
    numbers (integers of any size, NaN and infinities, floats rounded alike) and the last of
    duplicate keys; whatever it refuses (a syntax error, but also what `json` accepts and it
    does not: lone surrogates, a byte-order mark, UTF-16, deep nesting) is parsed by `json`
    again, which then answers or fails exactly as before (`tests/test_solver.py`)."""
    try:
        value = from_json(raw)
    except ValueError:
        value = json.loads(raw)
    request._json = value
    return value


async def _json_body(request: Request, strict: bool, context: Callable[[], Any]) -> Any:
    """The body as FastAPI's handler reads it for a JSON body parameter: parsed when it is
    JSON (`application/json` or `+json`; without a `Content-Type` too unless `strict`), else
    its bytes; `PydanticUndefined` when empty."""
    try:
        raw = await request.body()
        if not raw:
            return PydanticUndefined
        kind = request.headers.get("content-type")
        if not kind:
            return raw if strict else _parsed(request, raw)
        main, _, sub = _content_type(kind).partition("/")
        if main == "application" and (sub == "json" or sub.endswith("+json")):
            return _parsed(request, raw)
        return raw
    except json.JSONDecodeError as error:
        problem = {
            "type": "json_invalid",
            "loc": ("body", error.pos),
            "msg": "JSON decode error",
            "input": {},
            "ctx": {"error": error.msg},
        }
        raise RequestValidationError([problem], body=error.doc, endpoint_ctx=context()) from error
    except HTTPException:
        raise
    except Exception as error:
        if MAX_BODY_SIZE_SCOPE_KEY in request.scope and (limit := get_body_limit_error(error)):
            raise limit from error
        raise HTTPException(
            status_code=400, detail="There was an error parsing the body"
        ) from error


def plan(
    dependant: Dependant,
    body_field: Any,
    *,
    embed_body_fields: bool,
    strict_content_type: bool,
    path: str | None,
) -> Runner | None:
    """The route's endpoint behind its dependencies solved by plan, or None when the plan
    cannot solve them exactly as FastAPI would (FastAPI's handler then does)."""
    top = _node(dependant, top=True)
    if top is None or (body_field is not None and isinstance(body_field.field_info, params.Form)):
        return None
    endpoint = top.call
    body_fields = list(dependant.body_params)  # FastAPI's reader takes a list

    async def runner(request: Request, response: Response) -> Any:
        body = PydanticUndefined
        if body_fields:
            body = await _json_body(
                request, strict_content_type, lambda: _context(endpoint, path, request)
            )
        errors: list[Any] = []
        values = await _solve(top, request, response, {}, errors)
        if body_fields:
            found, failed = await request_body_to_args(
                body_fields=body_fields,
                received_body=body,
                embed_body_fields=embed_body_fields,
            )
            values.update(found)
            errors.extend(failed)
        if errors:
            raise RequestValidationError(
                errors,
                body=None if body is PydanticUndefined else body,
                endpoint_ctx=_context(endpoint, path, request),
            )
        return await endpoint(**values)

    return runner


def _answering(runner: Runner) -> Handler:
    """The handler of an endpoint that answers with a `Response` of its own: FastAPI's handler
    would only hand it the response it passes to dependencies (whose headers and status a
    returned `Response` leaves out) and return its answer as it is."""

    async def handler(request: Request) -> Response:
        given = Response()
        del given.headers["content-length"]
        given.status_code = None  # type: ignore[assignment]
        answer = await runner(request, given)
        if not isinstance(answer, Response):  # its annotation said it would
            raise TypeError(f"{request.url.path} answered {type(answer).__name__}, not a Response")
        return answer

    return handler


def planned_handler(route: APIRoute) -> Handler | None:
    """The request handler of `route` with its dependencies solved by plan, or None when the
    plan cannot solve them exactly as FastAPI would.

    Built, as FastAPI builds its own, for the route as included (its effective context: the
    prefix, the inherited settings, the app that may override dependencies). An endpoint
    annotated to return a `Response` is called straight (`_answering`); any other is run by
    FastAPI's own handler, which validates and serializes what it returns. While the app has
    dependency overrides, or FastAPI's OpenTelemetry records the request (its spans name the
    dependencies and the endpoint), FastAPI's handler serves the whole request."""
    effective: Any = route
    context = _effective_route_context_var.get()
    if context is not None and context.original_route is route:
        effective = context
    strict = effective.strict_content_type
    if isinstance(strict, DefaultPlaceholder):
        strict = strict.value
    dependant = effective.dependant
    runner = plan(
        dependant,
        effective.body_field,
        embed_body_fields=effective._embed_body_fields,
        strict_content_type=bool(strict),
        path=dependant.path,
    )
    if runner is None or effective.stream_item_field is not None or effective.is_json_stream:
        return None
    planned: Handler
    if lenient_issubclass(get_typed_return_annotation(dependant.call), Response):
        planned = _answering(runner)
    else:
        planned = get_request_handler(
            dependant=Dependant(
                call=runner, request_param_name="request", response_param_name="response"
            ),
            status_code=effective.status_code,
            response_class=effective.response_class,
            response_field=effective.response_field,
            response_model_include=effective.response_model_include,
            response_model_exclude=effective.response_model_exclude,
            response_model_by_alias=effective.response_model_by_alias,
            response_model_exclude_unset=effective.response_model_exclude_unset,
            response_model_exclude_defaults=effective.response_model_exclude_defaults,
            response_model_exclude_none=effective.response_model_exclude_none,
            strict_content_type=bool(strict),
        )
    generic = APIRoute.get_route_handler(route)
    overrides = effective.dependency_overrides_provider

    async def handler(request: Request) -> Response:
        if get_telemetry_data() is not None or getattr(overrides, "dependency_overrides", None):
            return await generic(request)
        return await planned(request)

    return handler
