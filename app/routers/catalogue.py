"""The public catalogue: administrations and their services."""

from typing import Annotated

from fastapi import Path, Query

from app.deps import AppSettings, Session
from app.errors import AdministrationNotFound, error_responses
from app.routers import make_router
from app.schemas.catalogue import AdministrationOut, AdministrationSummary, ServiceOut
from app.services import catalogue

router = make_router(prefix="/api/v1/administrations", tags=["catalogue"])

Code = Annotated[str, Path(max_length=32, description="Administration code", examples=["ACAPS"])]


@router.get(
    "",
    summary="List administrations",
    operation_id="listAdministrations",
    response_model=list[AdministrationSummary],
    responses=error_responses(),
)
async def list_administrations(
    session: Session,
    q: Annotated[
        str | None,
        Query(
            max_length=100,
            description="Part of the name, in Arabic, French or English; case, French accents, "
            "Arabic diacritics and hamza forms are ignored (`securite` finds `Sécurité`).",
        ),
    ] = None,
    sector: Annotated[str | None, Query(max_length=32, examples=["finance"])] = None,
) -> list[AdministrationSummary]:
    """The administrations citizens can address, sorted by code (about 120: no pagination)."""
    items = await catalogue.list_administrations(session, q=q, sector=sector)
    return [catalogue.summary(a) for a in items]


@router.get(
    "/{code}",
    summary="One administration with its services",
    operation_id="getAdministration",
    responses=error_responses(AdministrationNotFound),
)
async def get_administration(
    code: Code, session: Session, settings: AppSettings
) -> AdministrationOut:
    """The administration, its deadlines and its services with their attribute definitions."""
    administration = await catalogue.get_administration(session, code)
    return catalogue.administration_out(administration, settings)


@router.get(
    "/{code}/services",
    summary="Services of an administration",
    operation_id="listServices",
    responses=error_responses(AdministrationNotFound),
)
async def list_services(code: Code, session: Session, settings: AppSettings) -> list[ServiceOut]:
    """Each service with the request kinds it accepts, its deadlines, required documents and
    attribute definitions (Open311 vocabulary, localized labels)."""
    administration = await catalogue.get_administration(session, code)
    return catalogue.administration_out(administration, settings).services
