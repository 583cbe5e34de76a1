"""Reads of the catalogue used on every submission, its version, and those of its management."""

from __future__ import annotations

from sqlalchemy import and_, bindparam, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.models.catalogue import Administration, CatalogueChange, Service
from app.models.request import Request
from app.repositories import driver

_VERSION = driver.Compiled(select(func.max(CatalogueChange.version).label("version")))
_ADMINISTRATION = select(Administration).where(Administration.code == bindparam("code"))
_ADMINISTRATION_ID = driver.Compiled(
    select(Administration.id).where(Administration.code == bindparam("code"))
)
_ACTIVE_SERVICE = select(Service).where(
    Service.administration_id == bindparam("administration_id"),
    Service.code == bindparam("code"),
    Service.active,
)


# The public catalogue: every administration with its parent (about 120 rows).
_ADMINISTRATIONS = select(Administration).options(selectinload(Administration.parent))
_WITH_SERVICES = select(Administration).options(selectinload(Administration.services))


async def version(on: AsyncSession | driver.Direct) -> int:
    """The catalogue's version: it changes with every committed change of administrations or
    services (triggers of migration 0011). On the session, or on the driver (a submission
    that may file on the driver reads nothing through its session)."""
    if isinstance(on, driver.Direct):
        row = await driver.fetch_one(on, _VERSION, {})  # a read: again on a dead connection
    else:
        row = await driver.run_one(on, _VERSION, {})
    return int(row.version or 0) if row is not None else 0


async def administration_by_code(session: AsyncSession, code: str) -> Administration | None:
    return (await session.scalars(_ADMINISTRATION, {"code": code.upper()})).one_or_none()


async def administration_id_by_code(direct: driver.Direct, code: str) -> int | None:
    """The id of the administration `code`, on the driver (the queue's scope)."""
    row = await driver.fetch_one(direct, _ADMINISTRATION_ID, {"code": code.upper()})
    return None if row is None else int(row.id)


async def active_service(
    session: AsyncSession, administration_id: int, code: str
) -> Service | None:
    found = await session.scalars(
        _ACTIVE_SERVICE, {"administration_id": administration_id, "code": code}
    )
    return found.one_or_none()


async def administrations(
    session: AsyncSession, *, pattern: str | None, sector: str | None
) -> list[Administration]:
    """The administrations (with their parent) whose folded name matches the LIKE `pattern`
    and of `sector` (each filter skipped when None), by code."""
    stmt = _ADMINISTRATIONS
    if pattern:
        stmt = stmt.where(Administration.search_text.like(pattern))
    if sector:
        stmt = stmt.where(Administration.sector == sector)
    return list((await session.scalars(stmt.order_by(Administration.code))).all())


async def all_with_services(session: AsyncSession) -> list[Administration]:
    """Every administration with all its services (loading the sample catalogue)."""
    return list((await session.scalars(_WITH_SERVICES)).all())


# --- the catalogue's management (app.services.catalogue_admin)


async def any_service(session: AsyncSession, administration_id: int, code: str) -> Service | None:
    """The service by code, archived or not (the unique (administration, code) index)."""
    stmt = select(Service).where(
        Service.administration_id == administration_id, Service.code == code
    )
    return (await session.scalars(stmt)).one_or_none()


async def administration_with_services(
    session: AsyncSession, code: str, *, for_update: bool = False
) -> Administration | None:
    """The administration with all its services (archived ones too) and its parent: the public
    detail (which shows the active ones) and the management."""
    stmt = (
        select(Administration)
        .where(Administration.code == code.upper())
        .options(selectinload(Administration.services), selectinload(Administration.parent))
        .execution_options(populate_existing=True)
    )
    if for_update:
        stmt = stmt.with_for_update(of=Administration)
    return (await session.scalars(stmt)).one_or_none()


async def parent_chain(session: AsyncSession, administration_id: int) -> list[int]:
    """The ids from this administration up to its root (a few levels at most)."""
    found = await session.execute(
        text(
            """
            WITH RECURSIVE chain(id, parent_id, depth) AS (
                SELECT id, parent_id, 0 FROM administrations WHERE id = :id
                UNION ALL
                SELECT a.id, a.parent_id, c.depth + 1
                FROM administrations a JOIN chain c ON a.id = c.parent_id
                WHERE c.depth < 32
            )
            SELECT id FROM chain ORDER BY depth
            """
        ),
        {"id": administration_id},
    )
    return [row[0] for row in found]


def reference_candidates(reference: str) -> list[tuple[str, str]]:
    """The (administration, service) codes a reference `ADMIN-code` may stand for: an
    administration's code may itself hold a `-` (`AREF-RSK-general`)."""
    return [
        (reference[:i].upper(), reference[i + 1 :])
        for i, char in enumerate(reference)
        if char == "-" and 0 < i < len(reference) - 1
    ]


async def service_by_reference(
    session: AsyncSession, reference: str
) -> tuple[Service, Administration] | None:
    """The service named `ADMIN-code` (archived or not), its row locked for the change, and its
    administration. Each candidate split is one probe of the unique indexes."""
    candidates = reference_candidates(reference)
    if not candidates:
        return None
    stmt = (
        select(Service, Administration)
        .join(Administration, Administration.id == Service.administration_id)
        .where(or_(*(and_(Administration.code == a, Service.code == s) for a, s in candidates)))
        .order_by(func.length(Administration.code).desc())
        .limit(1)
        .with_for_update(of=Service)
        .execution_options(populate_existing=True)
    )
    row = (await session.execute(stmt)).first()
    return (row[0], row[1]) if row else None


async def service_in_use(session: AsyncSession, service_id: int) -> bool:
    """Whether any request names the service (ix_requests_service)."""
    used = select(Request.id).where(Request.service_id == service_id).limit(1)
    return bool(await session.scalar(select(used.exists())))
