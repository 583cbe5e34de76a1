"""The acknowledgement receipt (إيصال بالاستلام): a one-page PDF, and its public verification.

Arabic is shaped (arabic-reshaper joins the letters) and put in visual order (python-bidi)
before drawing, right-aligned; the font is DejaVu Sans, shipped with the package. The receipt
carries no personal data: whoever holds it knows the request, not who filed it.
"""

from __future__ import annotations

import asyncio
import io
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

import arabic_reshaper
from bidi import get_display
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.errors import ReceiptNotFound
from app.i18n import in_every_language
from app.models.request import Request
from app.repositories import receipts as repository
from app.services import throttle, tracking_numbers

FONT, BOLD = "DejaVuSans", "DejaVuSans-Bold"


@cache
def _fonts() -> None:
    folder = resources.files("app").joinpath("data/fonts")
    for name in (FONT, BOLD):
        with resources.as_file(folder.joinpath(f"{name}.ttf")) as path:
            pdfmetrics.registerFont(TTFont(name, str(path)))


def arabic(text: str) -> str:
    """Letters joined and in visual order, ready for a left-to-right PDF canvas."""
    return str(get_display(arabic_reshaper.reshape(text)))


def _day(moment: datetime) -> str:
    return moment.strftime("%d/%m/%Y")


def render(request: Request, language: str, settings: Settings) -> bytes:
    """The receipt as PDF bytes (CPU work: call it through `asyncio.to_thread`)."""
    _fonts()
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, pageCompression=1)
    title, portal = in_every_language("receipt.title"), in_every_language("portal.name")
    canvas.setTitle(f"{title['fr']} {request.tracking_number}")
    canvas.setAuthor(portal["fr"])
    width, height = A4
    left, right = 56, width - 56
    y = height - 64

    canvas.setFont(BOLD, 13)
    canvas.drawString(left, y, portal["fr"])
    canvas.drawRightString(right, y, arabic(portal["ar"]))
    y -= 40
    canvas.setFont(BOLD, 22)
    canvas.drawRightString(right, y, arabic(title["ar"]))
    canvas.drawString(left, y, title["fr"])
    y -= 22
    canvas.setFont(FONT, 12)
    canvas.drawString(left, y, title["en"])
    y -= 44
    canvas.setFont(BOLD, 28)
    canvas.drawCentredString(width / 2, y, request.tracking_number)
    y -= 40

    def heading(key: str) -> None:
        words = in_every_language(f"receipt.{key}")
        canvas.setFont(BOLD, 10)
        canvas.drawString(left, y, f"{words['fr']} / {words['en']}")
        canvas.drawRightString(right, y, arabic(words["ar"]))

    def row(key: str, value: dict[str, str] | str | None) -> None:
        nonlocal y
        if value is None:
            return
        heading(key)
        y -= 16
        canvas.setFont(FONT, 12)
        if isinstance(value, dict):
            # Stacked, not side by side: long official names would run into each other.
            canvas.drawRightString(right, y, arabic(value["ar"]))
            y -= 16
            latin = value["en"] if language == "en" else value["fr"]
            for line in simpleSplit(latin, FONT, 12, right - left)[:2]:
                canvas.drawString(left, y, line)
                y -= 16
            y -= 8
        else:
            canvas.drawString(left, y, value)
            y -= 24

    row("kind", in_every_language(f"kind.{request.kind}"))
    row("administration", request.administration.name)
    row("service", request.service.name if request.service else None)
    row("received", _day(request.received_at))
    row("registered", _day(request.created_at))
    row("due", _day(request.due_at))
    law = in_every_language("receipt.law")
    canvas.setFont(FONT, 10)
    canvas.drawRightString(right, y, arabic(law["ar"]))
    y -= 14
    canvas.drawString(left, y, law["fr"])
    y -= 14
    canvas.drawString(left, y, law["en"])
    y -= 36
    code = request.receipt_code or ""
    heading("code")
    y -= 22
    canvas.setFont(BOLD, 18)
    canvas.drawCentredString(width / 2, y, code)
    y -= 24
    verify = in_every_language("receipt.verify")
    canvas.setFont(FONT, 10)
    url = f"{settings.portal_url.rstrip('/')}/api/v1/receipts/{code}"
    canvas.drawRightString(right, y, arabic(verify["ar"]))
    canvas.drawString(left, y, f"{verify['fr']} / {verify['en']}")
    y -= 16
    canvas.drawCentredString(width / 2, y, url)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


async def render_async(request: Request, language: str, settings: Settings) -> bytes:
    return await asyncio.to_thread(render, request, language, settings)


def normalize_code(raw: str) -> str | None:
    symbols = "".join(raw.upper().split()).replace("-", "").translate(tracking_numbers.CONFUSIONS)
    if len(symbols) != 12 or any(ch not in tracking_numbers.ALPHABET for ch in symbols):
        return None
    return f"{symbols[:4]}-{symbols[4:8]}-{symbols[8:]}"


async def verify(
    session: AsyncSession, raw: str, *, client: str, settings: Settings, now: datetime
) -> dict[str, Any]:
    """The facts printed on a genuine receipt, or `receipt_not_found` (failures throttled)."""
    key = f"receipt:client:{client}"
    await throttle.ensure_allowed(session, [(key, settings.tracking_failures_per_client)], now)
    code = normalize_code(raw)
    request = None
    if code is not None:
        request = await repository.by_receipt_code(session, code)
    if request is None:
        await throttle.record_failure(session, [key], now, settings.throttle_window_seconds)
        raise ReceiptNotFound()
    return {
        "valid": True,
        "receipt_code": code,
        "tracking_number": request.tracking_number,
        "kind": request.kind,
        "administration": {
            "code": request.administration.code,
            "name": request.administration.name,
        },
        "service": {"code": request.service.code, "name": request.service.name}
        if request.service
        else None,
        "received_at": request.received_at,
        "created_at": request.created_at,
        "due_at": request.due_at,
    }
