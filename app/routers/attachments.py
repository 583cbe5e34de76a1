"""Documents attached to a request (filled in by the attachments work)."""

from app.routers import make_router

router = make_router(prefix="/api/v1/requests", tags=["attachments"])
