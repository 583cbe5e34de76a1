"""Liveness and readiness."""

from fastapi import Response
from sqlalchemy import text

from app.deps import Session
from app.routers import make_router

router = make_router(tags=["health"])


@router.get("/healthz", summary="Liveness", operation_id="healthz")
async def healthz() -> dict[str, str]:
    """Answers as long as the process serves requests; checks nothing else."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Readiness",
    operation_id="readyz",
    responses={503: {"description": "The database does not answer."}},
)
async def readyz(session: Session, response: Response) -> dict[str, str]:
    """Ready when the database answers a query."""
    try:
        await session.execute(text("SELECT 1"))
    except Exception:  # any failure of the database means "not ready", never a 500
        response.status_code = 503
        return {"status": "unavailable", "database": "unreachable"}
    return {"status": "ok", "database": "ok"}
