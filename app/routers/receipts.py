"""The acknowledgement receipt and its public verification (filled in by the receipts work)."""

from app.routers import make_router

router = make_router(tags=["receipts"])
