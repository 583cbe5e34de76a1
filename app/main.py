"""The application factory."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.encoders import jsonable_encoder
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from fastapi.security.base import SecurityBase
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Match
from starlette.types import ASGIApp, Scope

from app import collector, docs, metrics, observability
from app import logging as app_logging
from app.config import Settings, get_settings
from app.db import (
    SessionMaker,
    create_engine,
    create_sessionmaker,
    get_session,
    resolve_database_url,
)
from app.deps import DRIVER_READERS, SESSION_OPENERS, anonymous_allowed, reader_schemes
from app.errors import BadRequest, ServiceUnavailable, error_responses, install_error_handlers
from app.i18n import Language
from app.middleware import EdgeMiddleware, refuse_too_large
from app.repositories.driver import Direct, open_pool
from app.routers import (
    attachments,
    auth,
    backoffice,
    canned_responses,
    catalogue,
    catalogue_admin,
    challenges,
    citizens,
    faq,
    health,
    lifecycle,
    notifications,
    open311,
    privacy,
    problems,
    receipts,
    requests,
    statistics,
    tracking,
    users,
)
from app.schemas.common import Problem
from app.services import dispatcher
from app.services.catalogue import CatalogueCache
from app.tasks import periodic

JSON_BODY_LIMIT = 1024 * 1024  # 1 MiB: far above any JSON request, far below a nuisance

DESCRIPTION = """
The API of **Chikaya**, the national portal where citizens file complaints, observations and
suggestions to public administrations, follow them with a tracking number, talk with the
administration, and rate its answer — and where each administration's staff work their queue.

* **Citizens** submit (`POST /api/v1/requests`), then open their request with its tracking
  number and their email or phone (`POST /api/v1/tracking`), which gives a bearer token.
* **Staff** log in with *Authorize* (OAuth2 password flow) and work in `/api/v1/backoffice`.
* Every request follows the lifecycle of its kind (`GET /api/v1/lifecycle`); each view lists the
  caller's `allowed_actions`.
* Errors are `application/problem+json` (RFC 9457) with a stable `code`, localized in Arabic,
  French and English by `Accept-Language`.
* **Integrations** speak Open311 GeoReport v2 at `/open311/v2` (JSON and XML), with an API key
  of their administration for filing and for reading their own requests in full. Deviations,
  on purpose: complaints are private, so anonymous reads show only the public id (never the
  tracking number), service, status, dates and agency; a location is optional and kept when
  given; the POST answer adds the `tracking_number` to give the person; errors there are
  GeoReport error lists, not problem documents.
"""

# Headers a browser on the web site may send, and those its scripts may read.
CORS_REQUEST_HEADERS = [
    "Authorization",
    "Content-Type",
    "Accept-Language",
    "Idempotency-Key",
    "If-Match",
    "If-None-Match",
    "X-Request-ID",
    "X-Altcha",
]
CORS_EXPOSED_HEADERS = ["ETag", "Location", "Retry-After", "X-Request-ID", "Content-Disposition"]


class ChikayaAPI(FastAPI):
    """FastAPI whose outermost layer (`app.middleware.EdgeMiddleware`, one pure ASGI layer)
    wraps even Starlette's error middleware, so that every answer, a 500 included, carries the
    request id and the security headers, and is counted."""

    def build_middleware_stack(self) -> ASGIApp:
        settings: Settings = self.state.settings
        app: ASGIApp = super().build_middleware_stack()
        refuse: ASGIApp = refuse_too_large
        if settings.cors_origins:
            cors = {
                "allow_origins": settings.cors_origins,
                "allow_methods": ["GET", "POST", "PUT", "PATCH", "DELETE"],
                "allow_headers": CORS_REQUEST_HEADERS,
                "expose_headers": CORS_EXPOSED_HEADERS,
                "allow_credentials": False,  # bearer tokens, never cookies
                "max_age": 600,
            }
            app = CORSMiddleware(app, **cors)  # type: ignore[arg-type]
            refuse = CORSMiddleware(refuse, **cors)  # type: ignore[arg-type]
        language: Language = settings.default_language  # type: ignore[assignment]
        upload_limit = settings.max_files_per_upload * settings.max_attachment_bytes
        app = EdgeMiddleware(
            app,
            refuse,
            routes=self.router.routes,
            default_language=language,
            limit=JSON_BODY_LIMIT,
            upload_limit=upload_limit + JSON_BODY_LIMIT,
            read_timeout=settings.body_read_timeout_seconds,
        )
        return observability.trust_proxies(app, settings.forwarded_allow_ips)


def uses_database(dependant: Dependant) -> bool:
    """Whether an operation reads or writes the database, through the session or on the
    driver (and so may meet an outage)."""
    return any(
        sub.call is get_session
        or sub.call in DRIVER_READERS
        or sub.call in SESSION_OPENERS
        or uses_database(sub)
        for sub in dependant.dependencies
    )


def with_security(operation: dict[str, Any], schemes: Sequence[SecurityBase]) -> dict[str, Any]:
    """`operation` listing `schemes` first in its `security`, where FastAPI writes that key
    (after the operation's id, before its parameters): for the readers, which read their
    scheme themselves instead of through a dependency FastAPI would find (`READER_SCHEMES`)."""
    security: list[dict[str, list[str]]] = [{scheme.scheme_name: []} for scheme in schemes]
    security += [entry for entry in operation.get("security", []) if entry not in security]
    after = "deprecated" if "deprecated" in operation else "operationId"
    declared: dict[str, Any] = {}
    for key, value in operation.items():
        if key != "security":
            declared[key] = value
        if key == after:
            declared["security"] = security
    return declared


# Any operation that reads or writes the database answers this while it cannot be reached.
RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "integer"},
    }
}
UNAVAILABLE: dict[str, Any] = {**error_responses(ServiceUnavailable)[503], "headers": RETRY_AFTER}


def create_app(
    settings: Settings | None = None, sessionmaker: SessionMaker | None = None
) -> FastAPI:
    """Build the app. Tests pass their own sessionmaker; otherwise the lifespan makes one."""
    settings = settings or get_settings()
    app_logging.install()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = None
        if sessionmaker is None:
            url = await asyncio.to_thread(resolve_database_url, settings)
            engine = create_engine(url, settings)
            app.state.sessionmaker = create_sessionmaker(engine)
            app.state.direct = await open_pool(
                engine,
                size=settings.db_read_pool_size,
                acquire_timeout=settings.db_pool_timeout_seconds,
                connect_timeout=settings.db_connect_timeout_seconds,
                recycle=settings.db_pool_recycle_seconds,
            )
        tasks = []
        if settings.auto_close_interval_seconds > 0:
            tasks.append(asyncio.create_task(periodic(app.state.sessionmaker, settings)))
        if settings.dispatcher_in_api:
            tasks.append(
                asyncio.create_task(dispatcher.run_forever(app.state.sessionmaker, settings))
            )
        if engine is not None:
            collector.settle()
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if engine is not None:
                await app.state.direct.close()
                await engine.dispose()

    app = ChikayaAPI(
        title="Chikaya API",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        contact={"name": "Chikaya portal team"},
        license_info={"name": "Proprietary"},
        docs_url=None,  # served from the package by `app.docs`, never from a CDN
        redoc_url=None,
        telemetry={
            "tracing": settings.opentelemetry,
            "metrics": settings.opentelemetry,
            "logs": settings.opentelemetry,
        },
    )
    app.state.settings = settings
    app.state.catalogue_cache = CatalogueCache(settings.catalogue_refresh_seconds)
    if sessionmaker is not None:
        app.state.sessionmaker = sessionmaker
        app.state.direct = Direct(sessionmaker.kw["bind"])
    install_error_handlers(app)
    docs.install(app)
    token = settings.metrics_token.get_secret_value() if settings.metrics_token else None
    metrics.install(app, token)
    open311.install(app)
    modules = (
        health,
        catalogue,
        requests,
        challenges,
        attachments,
        receipts,
        tracking,
        lifecycle,
        auth,
        backoffice,
        canned_responses,
        notifications,
        statistics,
        faq,
        open311,
        privacy,
        problems,
        users,
        citizens,
        catalogue_admin,
    )
    for module in modules:
        app.include_router(module.router)

    def allowed_methods(scope: Scope) -> set[str]:
        """Every method some route serves at the path of `scope` (the `Allow` of a 405)."""
        return {
            method
            for module in modules
            for route in module.router.routes
            if isinstance(route, APIRoute) and route.matches(scope)[0] is not Match.NONE
            for method in route.methods or ()
        }

    app.state.allowed_methods = allowed_methods

    def operations_where(predicate: Callable[[Dependant], bool]) -> set[tuple[str, str]]:
        """(path, method) of the documented operations whose dependencies satisfy `predicate`."""
        return {
            (route.path_format, method.lower())
            for module in modules
            for route in module.router.routes
            if isinstance(route, APIRoute) and predicate(route.dependant)
            for method in route.methods or ()
        }

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
            contact=app.contact,
            license_info=app.license_info,
        )
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(problem.pop("$defs", {}))
        schemas["Problem"] = problem
        # FastAPI's default 422 shape is replaced by our problem document everywhere.
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
        anonymous = operations_where(anonymous_allowed)
        with_database = operations_where(uses_database)
        read_schemes = {
            (route.path_format, method.lower()): found
            for module in modules
            for route in module.router.routes
            if isinstance(route, APIRoute) and (found := reader_schemes(route.dependant))
            for method in route.methods or ()
        }
        security_schemes = schema["components"].setdefault("securitySchemes", {})
        for route, path in schema.get("paths", {}).items():
            for method, operation in path.items():
                if schemes := read_schemes.get((route, method)):
                    operation = path[method] = with_security(operation, schemes)
                    for scheme in schemes:
                        security_schemes.setdefault(
                            scheme.scheme_name,
                            jsonable_encoder(scheme.model, by_alias=True, exclude_none=True),
                        )
                if (route, method) in anonymous and operation.get("security"):
                    # A token is optional here: say so, or typed clients demand one.
                    operation["security"] = [{}, *operation["security"]]
                if (route, method) in with_database:
                    responses = operation["responses"]
                    if not route.startswith(open311.PREFIX):
                        responses.setdefault("503", UNAVAILABLE)
                    elif errors := [v for k, v in responses.items() if k.startswith("4")]:
                        # Open311 says it as a GeoReport error list, like its other errors.
                        responses.setdefault("503", {**errors[0], "headers": RETRY_AFTER})
                if "requestBody" in operation and not route.startswith(open311.PREFIX):
                    # A body that cannot be read at all (not UTF-8, a broken multipart) is
                    # refused before any field is looked at.
                    operation["responses"].setdefault("400", error_responses(BadRequest)[400])
                if route.startswith(open311.PREFIX):
                    # Open311 parameters are all plain strings, checked by the facade itself,
                    # which answers GeoReport error lists: FastAPI's 422 never happens there.
                    operation.get("responses", {}).pop("422", None)
                    continue
                response = operation.get("responses", {}).get("422")
                if response is not None:
                    response["description"] = "Problem: `validation_failed` (see `errors`)"
                    response["content"] = {
                        "application/problem+json": {
                            "schema": {"$ref": "#/components/schemas/Problem"}
                        }
                    }
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
