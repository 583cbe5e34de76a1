"""The acknowledgement receipt and its public verification."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Path, Query, Response

from app.deps import AppSettings, ClientAddress, CurrentActor, Session
from app.errors import (
    InvalidToken,
    ReceiptNotFound,
    RequestNotFound,
    TooManyAttempts,
    Unauthorized,
    error_responses,
)
from app.routers import make_router
from app.schemas.receipts import ReceiptCheck
from app.services import clock, receipts
from app.services import requests as requests_service

router = make_router(tags=["receipts"])


@router.get(
    "/api/v1/requests/{tracking_number}/receipt",
    summary="The acknowledgement receipt (PDF)",
    operation_id="getReceipt",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}}, "description": "A one-page PDF."},
        **error_responses(Unauthorized, InvalidToken, RequestNotFound),
    },
)
async def receipt(
    tracking_number: Annotated[str, Path(max_length=32)],
    session: Session,
    settings: AppSettings,
    actor: CurrentActor,
    lang: Annotated[
        Literal["ar", "fr", "en"] | None,
        Query(description="Latin-script language next to the Arabic; default the request's."),
    ] = None,
) -> Response:
    """إيصال بالاستلام: tracking number, dates of receipt and registration, administration,
    service, legal deadline and a verification code, in Arabic (shaped, right-to-left), French
    and English. For the request's citizen and its administration's staff. No personal data."""
    request = await requests_service.get_visible(session, tracking_number, actor)
    pdf = await receipts.render_async(request, lang or request.language, settings)
    filename = f"receipt-{request.tracking_number}.pdf"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{filename}"',
            "Cache-Control": "private",
        },
    )


@router.get(
    "/api/v1/receipts/{code}",
    summary="Check that a receipt is genuine",
    operation_id="verifyReceipt",
    responses=error_responses(ReceiptNotFound, TooManyAttempts),
)
async def verify(
    code: Annotated[str, Path(max_length=32, examples=["K7MD-Q2ZX-9PTA"])],
    session: Session,
    settings: AppSettings,
    client: ClientAddress,
) -> ReceiptCheck:
    """Anyone holding a receipt — an employer, a court, a notary — can check it with its code
    (case and dashes ignored), as CNOPS lets anyone check its certificates. The answer repeats
    what the receipt prints, never who filed the request. Failed codes are throttled per
    client, so codes cannot be enumerated."""
    found = await receipts.verify(session, code, client=client, settings=settings, now=clock.now())
    return ReceiptCheck.model_validate(found)
