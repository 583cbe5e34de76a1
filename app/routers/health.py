"""Liveness and readiness."""

import logging

from sqlalchemy import text

from app.deps import Session
from app.errors import ServiceUnavailable, error_responses
from app.routers import make_router

router = make_router(tags=["health"])
log = logging.getLogger("app.health")


@router.get("/healthz", summary="Liveness", operation_id="healthz")
async def healthz() -> dict[str, str]:
    """Answers as long as the process serves requests; checks nothing else."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Readiness",
    operation_id="readyz",
    responses=error_responses(ServiceUnavailable),
)
async def readyz(session: Session) -> dict[str, str]:
    """Ready when the database answers a query; `503` otherwise."""
    try:
        await session.execute(text("SELECT 1"))
    except Exception as exc:  # any failure of the database means "not ready", never a 500
        log.warning("readiness check failed: %s", type(exc).__name__)
        raise ServiceUnavailable() from exc
    return {"status": "ok", "database": "ok"}


# Load balancers often probe with HEAD: the same checks, kept out of the document.
router.add_api_route("/healthz", healthz, methods=["HEAD"], include_in_schema=False)
router.add_api_route("/readyz", readyz, methods=["HEAD"], include_in_schema=False)
