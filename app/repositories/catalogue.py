"""Reads of the catalogue used on every submission, and its version."""

from __future__ import annotations

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.catalogue import Administration, CatalogueChange, Service

_VERSION = select(func.max(CatalogueChange.version))
_ADMINISTRATION = select(Administration).where(Administration.code == bindparam("code"))
_ACTIVE_SERVICE = select(Service).where(
    Service.administration_id == bindparam("administration_id"),
    Service.code == bindparam("code"),
    Service.active,
)


async def version(session: AsyncSession) -> int:
    """The catalogue's version: it changes with every committed change of administrations or
    services (triggers of migration 0011)."""
    return int(await session.scalar(_VERSION) or 0)


async def administration_by_code(session: AsyncSession, code: str) -> Administration | None:
    return (await session.scalars(_ADMINISTRATION, {"code": code.upper()})).one_or_none()


async def active_service(
    session: AsyncSession, administration_id: int, code: str
) -> Service | None:
    found = await session.scalars(
        _ACTIVE_SERVICE, {"administration_id": administration_id, "code": code}
    )
    return found.one_or_none()
