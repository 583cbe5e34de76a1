"""The catalogue as data: administrations and services managed through the API."""

import inspect
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import Path, status

from app.deps import AppSettings, Session, StaffActor
from app.errors import (
    AdministrationExists,
    AdministrationNotFound,
    Forbidden,
    InvalidToken,
    NationalAdminOnly,
    OtherAdministration,
    ServiceExists,
    ServiceNotFound,
    Unauthorized,
    ValidationFailed,
    error_responses,
)
from app.routers import make_router
from app.schemas.catalogue_admin import (
    AdministrationAdminOut,
    AdministrationCreate,
    AdministrationPatch,
    ServiceAdminOut,
    ServiceCreate,
    ServicePatch,
    ServiceRemoved,
)
from app.services import catalogue_admin

router = make_router(prefix="/api/v1/backoffice", tags=["catalogue management"])

_AUTH = (Unauthorized, InvalidToken, Forbidden, NationalAdminOnly)
Code = Annotated[str, Path(max_length=32, description="Administration code", examples=["ACAPS"])]
ServiceRef = Annotated[
    str,
    Path(
        max_length=81,
        description="`ADMINISTRATION-code` (Open311's `service_code`), e.g. `ACAPS-insurance`.",
        examples=["ACAPS-insurance"],
    ),
]

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])
_SHOWS = (
    "Every change shows in the public catalogue at once, and to filings in every API process\n"
    "within `CATALOGUE_REFRESH_SECONDS` (2 s by default)."
)


def _shows_everywhere(endpoint: Endpoint) -> Endpoint:
    """Ends a change's description with when the change shows (the catalogue caches' refresh)."""
    endpoint.__doc__ = f"{inspect.cleandoc(endpoint.__doc__ or '')}\n{_SHOWS}"
    return endpoint


@router.get(
    "/administrations/{code}",
    summary="An administration with all its services (back office)",
    operation_id="getManagedAdministration",
    responses=error_responses(*_AUTH, OtherAdministration, AdministrationNotFound),
)
async def get_administration(
    code: Code, actor: StaffActor, session: Session, settings: AppSettings
) -> AdministrationAdminOut:
    """The public view plus archived services and each service's `reference`. National admins
    read any administration; supervisors their own (another one: `403 other_administration`)."""
    return await catalogue_admin.read_administration(session, actor, code, settings)


@router.post(
    "/administrations",
    status_code=status.HTTP_201_CREATED,
    summary="Add an administration",
    operation_id="createAdministration",
    responses=error_responses(*_AUTH, AdministrationExists, ValidationFailed),
)
@_shows_everywhere
async def create_administration(
    body: AdministrationCreate, actor: StaffActor, session: Session, settings: AppSettings
) -> AdministrationAdminOut:
    """National admins only (a supervisor: `403 national_admin_only`). A code already taken is
    `409 administration_exists`; an unknown `parent` a field error (`unknown_administration`);
    `answer_days` past 60 days `over_legal_maximum`. Its services are added with
    `POST /api/v1/backoffice/administrations/{code}/services`."""
    return await catalogue_admin.create_administration(session, actor, body, settings)


@router.patch(
    "/administrations/{code}",
    summary="Edit an administration",
    operation_id="updateAdministration",
    responses=error_responses(*_AUTH, AdministrationNotFound, ValidationFailed),
)
@_shows_everywhere
async def update_administration(
    code: Code,
    body: AdministrationPatch,
    actor: StaffActor,
    session: Session,
    settings: AppSettings,
) -> AdministrationAdminOut:
    """National admins only. Only the fields sent change; `null` resets `answer_days` or
    `reopen_window_days` to the portal's default, or removes the `parent` (which may be
    neither the administration itself nor one of its sub-units: `parent_cycle`). The code
    never changes. Requests already filed keep their due dates."""
    return await catalogue_admin.update_administration(session, actor, code, body, settings)


@router.post(
    "/administrations/{code}/services",
    status_code=status.HTTP_201_CREATED,
    summary="Add a service to an administration",
    operation_id="createService",
    responses=error_responses(*_AUTH, AdministrationNotFound, ServiceExists, ValidationFailed),
)
@_shows_everywhere
async def create_service(
    code: Code, body: ServiceCreate, actor: StaffActor, session: Session, settings: AppSettings
) -> ServiceAdminOut:
    """National admins only. The body is the public catalogue's service: `kinds` among
    `complaint`, `observation`, `suggestion`, `information_request`; `attributes` in the
    catalogue's attribute-definition shape (every error at once, with its path);
    `answer_days` at most 60, 20 when the service takes information requests
    (`over_legal_maximum`). A code the administration already has, archived or not, is
    `409 service_exists`. The service takes filings at once."""
    return await catalogue_admin.create_service(session, actor, code, body, settings)


@router.patch(
    "/services/{service}",
    summary="Edit or archive a service",
    operation_id="updateService",
    responses=error_responses(*_AUTH, OtherAdministration, ServiceNotFound, ValidationFailed),
)
@_shows_everywhere
async def update_service(
    service: ServiceRef,
    body: ServicePatch,
    actor: StaffActor,
    session: Session,
    settings: AppSettings,
) -> ServiceAdminOut:
    """Only the fields sent change. Supervisors edit their own administration's services'
    `name`, `description`, `required_documents` and `attributes` (another administration's:
    `403 other_administration`; any other field: `403 national_admin_only`, naming the
    fields). National admins also change `kinds`, `answer_days`, `reopen_window_days` (`null`:
    the administration's), `requires_verified_contact`, and `archived`: an archived service
    leaves the public catalogue and refuses new filings (`422`, field `service`,
    `service_archived`) while the requests already filed keep showing it. Deadlines never
    pass the legal maxima (60 days, 20 with information requests). New `attributes` apply to
    new filings; requests already filed keep their values, and on a service they use an
    attribute that was personal data stays marked so (`personal_kept`)."""
    return await catalogue_admin.update_service(session, actor, service, body, settings)


@router.delete(
    "/services/{service}",
    summary="Remove a service (archived when used)",
    operation_id="removeService",
    responses=error_responses(*_AUTH, ServiceNotFound),
)
@_shows_everywhere
async def remove_service(
    service: ServiceRef, actor: StaffActor, session: Session
) -> ServiceRemoved:
    """National admins only. A service no request names is deleted (`outcome: deleted`); one
    that requests name is archived instead, never deleted (`outcome: archived`), exactly as
    `PATCH` with `archived: true`: those requests keep showing it."""
    return await catalogue_admin.remove_service(session, actor, service)
