"""Open311 GeoReport v2 at `/open311/v2`: what existing civic-tech clients speak, in JSON and XML.

Errors here are GeoReport's error lists, not problem documents: that is what its clients parse.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from app.deps import AppSettings, ReadOnly, Session
from app.errors import BodyReadTimeout, BodyTooLarge
from app.i18n import Language, current_language
from app.routers import make_router
from app.schemas.open311 import (
    Discovery,
    ErrorItem,
    PostedRequest,
    RequestItem,
    ServiceDefinition,
    ServiceItem,
    TokenItem,
)
from app.services import clock, open311
from app.services.open311 import FORMATS, Open311Error, RequestQuery

PREFIX = "/open311/v2"
Handler = Callable[[Request, Any], Response | Awaitable[Response]]
router = make_router(prefix=PREFIX, tags=["open311"])

Format = Annotated[str, Path(description="`json` or `xml`.", examples=["json"])]
Jurisdiction = Annotated[
    str | None,
    Query(
        description=f"Optional: this endpoint serves one jurisdiction, `{open311.JURISDICTION}`."
    ),
]
ApiKeyParam = Annotated[
    str | None,
    Query(
        description="Optional on GET: an integration key of the request's administration shows "
        "its requests in full (description, notes, notice, location). A wrong or revoked key "
        "answers 403 rather than being ignored, so a misconfigured system learns it at once."
    ),
]
MAX_FORM_FIELDS = 200


async def checked_format(fmt: Format, jurisdiction_id: Jurisdiction = None) -> str:
    """The format of the path (`json` or `xml`), once it and the jurisdiction are ours."""
    open311.check_format(fmt)
    open311.check_jurisdiction(jurisdiction_id)
    return fmt


GeoFormat = Annotated[str, Depends(checked_format)]


def _responses(model: Any, xml_example: str, *statuses: int) -> dict[int | str, Any]:
    """The answer in JSON (its schema) and XML (an example), and GeoReport error lists."""
    errors: dict[int | str, Any] = {
        status: {
            "model": list[ErrorItem],
            "description": "GeoReport error list: `[{code, description}]` "
            "(`<errors><error>` in XML).",
            "content": {
                "text/xml": {
                    "schema": {"type": "string"},
                    "example": f"<errors><error><code>{status}</code>"
                    "<description>...</description></error></errors>",
                }
            },
        }
        for status in statuses
    }
    ok = {
        "model": model,
        "description": "JSON, or XML with the same elements (`.xml`).",
        "content": {"text/xml": {"schema": {"type": "string"}, "example": xml_example}},
    }
    return {200: ok, **errors}


def render(fmt: str, root: str, value: BaseModel | list[Any], status: int = 200) -> Response:
    """The same data as JSON (the "Spark convention": collections are arrays) or as XML."""
    return Response(open311.encode(fmt, root, value), status, media_type=FORMATS[fmt])


def _format_of(request: Request) -> str:
    return "xml" if request.url.path.endswith(".xml") else "json"


# Headers of a problem that still matter to a GeoReport client.
_KEPT_HEADERS = ("allow", "retry-after", "www-authenticate", "content-language", "connection")


def _as_georeport(original: Handler) -> Handler:
    """Under `/open311/v2`, every other error (unknown path, wrong method, a 500 with its id)
    leaves as a GeoReport error list too: what the problem document says, in its words."""

    async def handler(request: Request, exc: Exception) -> Response:
        answer = original(request, exc)
        response = await answer if inspect.isawaitable(answer) else answer
        path = request.url.path.removeprefix(request.scope.get("root_path", ""))
        if not path.startswith(PREFIX + "/"):
            return response
        try:
            problem = json.loads(bytes(response.body))
        except ValueError:  # not a problem document: say what the status says
            problem = {"detail": HTTPStatus(response.status_code).phrase}
        # The specification answers 400 for any failure it does not name.
        status = 400 if response.status_code == 422 else response.status_code
        item = ErrorItem(code=status, description=str(problem.get("detail", "")))
        rendered = render(_format_of(request), "errors", [item], status)
        for name in _KEPT_HEADERS:
            if name in response.headers:
                rendered.headers[name] = response.headers[name]
        return rendered

    return handler


def install(app: FastAPI) -> None:
    """Render `Open311Error`, and any other error under `/open311/v2`, as the specification's
    error list, in the format of the path."""

    async def handler(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Open311Error)
        return render(_format_of(request), "errors", open311.errors_body(exc), exc.status)

    for key, original in list(app.exception_handlers.items()):
        app.add_exception_handler(key, _as_georeport(original))
    app.add_exception_handler(Open311Error, handler)


def _language() -> Language:
    return current_language.get()


@router.get(
    "/discovery.{fmt}",
    summary="Open311 discovery",
    operation_id="open311Discovery",
    responses=_responses(Discovery, "<discovery><changeset>...</changeset>...</discovery>", 404),
)
async def discovery(fmt: Format, http: Request) -> Response:
    """Where this GeoReport v2 endpoint lives, its formats and how to get an API key."""
    open311.check_format(fmt)
    base = str(http.base_url).rstrip("/") + PREFIX
    return render(fmt, "discovery", open311.discovery(base))


@router.get(
    "/services.{fmt}",
    summary="Open311 service list",
    operation_id="open311ListServices",
    responses=_responses(
        list[ServiceItem],
        "<services><service><service_code>ACAPS-insurance</service_code>...</service></services>",
        404,
    ),
)
async def services(fmt: GeoFormat, session: Session) -> Response:
    """Every active service of every administration. `service_code` is
    `ADMINISTRATION-service`; `group` is the administration; `keywords` lists the request
    kinds the service accepts; `metadata` is true when it has attributes (see the service
    definition). Names follow `Accept-Language` (ar, fr, en)."""
    return render(fmt, "services", await open311.service_list(session, _language()))


@router.get(
    "/services/{service_code}.{fmt}",
    summary="Open311 service definition",
    operation_id="open311GetServiceDefinition",
    responses=_responses(
        ServiceDefinition,
        "<service_definition><service_code>ACAPS-insurance</service_code><attributes>"
        "<attribute><variable>true</variable><code>policy_number</code>...</attribute>"
        "</attributes></service_definition>",
        404,
    ),
)
async def service_definition(
    service_code: Annotated[str, Path(examples=["ACAPS-insurance"])],
    fmt: GeoFormat,
    session: Session,
) -> Response:
    """The attributes a request for this service takes, in Open311's datatypes. Our richer
    types (`boolean`, `date`, `email`, `phone`, `national_id`) travel as `string` with a
    `datatype_description`."""
    definition = await open311.service_definition(session, service_code, _language())
    return render(fmt, "service_definition", definition)


@router.get(
    "/requests.{fmt}",
    summary="Open311 service requests",
    operation_id="open311ListRequests",
    dependencies=[ReadOnly],
    responses=_responses(
        list[RequestItem],
        "<service_requests><request><service_request_id>R...</service_request_id>"
        "<status>open</status>...</request></service_requests>",
        400,
        403,
        404,
    ),
)
async def list_requests(
    request: Request,
    fmt: GeoFormat,
    session: Session,
    api_key: ApiKeyParam = None,
    service_request_id: Annotated[
        str | None, Query(description="Ids, comma separated; overrides every other filter.")
    ] = None,
    service_code: Annotated[str | None, Query(description="Codes, comma separated.")] = None,
    start_date: Annotated[
        str | None, Query(description="W3C datetime; default `end_date` minus 90 days.")
    ] = None,
    end_date: Annotated[
        str | None, Query(description="W3C datetime; default now. At most 90 days after start.")
    ] = None,
    status: Annotated[str | None, Query(description="`open`, `closed`, or both.")] = None,
    page: Annotated[str | None, Query(description="Extension: page number, from 1.")] = None,
    page_size: Annotated[
        str | None, Query(description="Extension: at most 1000 (the default).")
    ] = None,
) -> Response:
    """Requests newest first, at most 1000, over at most 90 days (default the last 90).

    **Privacy, on purpose:** complaints are private, so anonymous callers see only the public
    id (never the tracking number), the service, the status, the dates and the agency —
    `description`, `service_notice` and the location are null, and `status_notes` is a fixed
    label of the request's state in the language of `Accept-Language` (never the
    administration's words). An integration key of the administration that holds the request
    now (`api_key`; after a transfer, the receiving one's) shows its own requests in full:
    `status_notes` is then the administration's latest public reply (the label while there is
    none), and each request shown is one row of its access log.
    `open` covers submitted, in progress, awaiting the citizen and appealed; `closed` covers
    answered, acknowledged, closed and rejected."""
    key = await open311.authenticate(session, api_key)
    query = RequestQuery(  # an empty parameter counts as absent (specification)
        ids=service_request_id or None,
        service_codes=service_code or None,
        start_date=start_date or None,
        end_date=end_date or None,
        status=status or None,
        page=page or None,
        page_size=page_size or None,
    )
    found = await open311.request_list(
        session, request.app.state.direct, query, language=_language(), key=key, now=clock.now()
    )
    return render(fmt, "service_requests", found)


@router.get(
    "/requests/{service_request_id}.{fmt}",
    summary="Open311 service request",
    operation_id="open311GetRequest",
    responses=_responses(
        list[RequestItem],
        "<service_requests><request><service_request_id>R...</service_request_id>"
        "...</request></service_requests>",
        403,
        404,
    ),
)
async def get_request(
    request: Request,
    service_request_id: Annotated[str, Path(examples=["R4K7MDQ2ZX9PTA"])],
    fmt: GeoFormat,
    session: Session,
    api_key: ApiKeyParam = None,
) -> Response:
    """One request as a one-element list, with the same privacy rule as the list."""
    key = await open311.authenticate(session, api_key)
    found = await open311.one_request(
        session, request.app.state.direct, service_request_id, language=_language(), key=key
    )
    return render(fmt, "service_requests", found)


@router.get(
    "/tokens/{token}.{fmt}",
    summary="Open311 request id from a token",
    operation_id="open311GetToken",
    responses=_responses(
        list[TokenItem],
        "<service_requests><request><service_request_id>R...</service_request_id>"
        "<token>R...</token></request></service_requests>",
        404,
    ),
)
async def token(
    token: Annotated[str, Path(examples=["R4K7MDQ2ZX9PTA"])],
    fmt: GeoFormat,
    session: Session,
) -> Response:
    """Requests are filed at once, so the POST answers a `service_request_id` and never a
    token; for clients written for queued servers, each id also serves as its own token."""
    return render(fmt, "service_requests", await open311.token(session, token))


@router.post(
    "/requests.{fmt}",
    summary="Open311 create a service request",
    operation_id="open311CreateRequest",
    status_code=201,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "required": ["api_key", "service_code", "description"],
                        "properties": {
                            "api_key": {"type": "string"},
                            "jurisdiction_id": {"type": "string"},
                            "service_code": {"type": "string", "example": "ACAPS-insurance"},
                            "description": {"type": "string", "maxLength": 4000},
                            "first_name": {"type": "string"},
                            "last_name": {"type": "string"},
                            "email": {"type": "string"},
                            "phone": {"type": "string"},
                            "address_string": {"type": "string"},
                            "lat": {"type": "number"},
                            "long": {"type": "number"},
                            "attribute[code]": {
                                "type": "string",
                                "description": "One per attribute; `attribute[code][]` "
                                "repeated for a multi-valued one.",
                            },
                        },
                    }
                }
            },
        }
    },
    responses={
        **_responses(
            list[PostedRequest],
            "<service_requests><request><service_request_id>R...</service_request_id>"
            "<service_notice>...</service_notice><account_id/>"
            "<tracking_number>K7MD-Q2ZX-9PT</tracking_number></request></service_requests>",
            400,
            403,
            404,
            409,
        ),
    },
)
async def create_request(
    fmt: Format,
    http: Request,
    session: Session,
    settings: AppSettings,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="A retry with the same key and body gets the first answer (at most "
            "255 characters).",
        ),
    ] = None,
) -> Response:
    """File a request for a person, as the administration that owns the `api_key` (403
    otherwise), through the same submission code as `POST /api/v1/requests`, on channel
    `integration`. The body is form-encoded. The person needs an `email` or a `phone` to
    follow the request; attributes follow the service definition. The answer adds the
    `tracking_number` to give them.

    **Deviations, on purpose:** a location (`address_string`, or `lat` and `long`) is
    optional — a complaint concerns an administration, not always a place — and kept when
    given; `description` is required, 10 to 4000 characters, since a complaint must say what
    happened; `media_url` and `address_id` are not taken (documents go through the portal's
    own upload); the subject is the description's first line."""
    open311.check_format(fmt)
    content_type = http.headers.get("content-type", "")
    if not content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        raise open311.error(400, "bad_body")
    try:
        form = await http.form(max_files=0, max_fields=MAX_FORM_FIELDS)
    except (BodyTooLarge, BodyReadTimeout):
        raise  # 413 and 408 keep their status (as GeoReport error lists)
    except HTTPException:
        raise open311.error(400, "bad_body") from None
    items = [(name, value) for name, value in form.multi_items() if isinstance(value, str)]
    fields = {name: value for name, value in items if not name.startswith("attribute[")}
    open311.check_jurisdiction(fields.get("jurisdiction_id"))
    key = await open311.authenticate(
        session, fields.get("api_key") or http.query_params.get("api_key")
    )
    if key is None:
        raise open311.error(403, "invalid_api_key")
    fields.pop("api_key", None)
    posted = await open311.submit(
        session,
        fields,
        open311.parse_attributes(items),
        key=key,
        idempotency_key=idempotency_key,
        language=_language(),
        settings=settings,
        now=clock.now(),
    )
    return render(fmt, "service_requests", posted, status=201)
