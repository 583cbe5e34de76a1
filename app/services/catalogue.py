"""The catalogue: look-ups (cached for filing), policies (deadlines and windows), and loading the
sample data."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Mapping, Sequence
from importlib import resources
from typing import Any, TypeVar

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached

from app.config import Settings
from app.errors import AdministrationNotFound
from app.models.catalogue import Administration, Service
from app.models.enums import Kind
from app.repositories import catalogue as repository
from app.repositories.driver import Direct
from app.schemas.catalogue import (
    AdministrationOut,
    AdministrationSummary,
    AttributeDefinition,
    SampleCatalogue,
    ServiceOut,
)
from app.services.lifecycle import Policy
from app.services.textnorm import fold, like_pattern


def answer_days(
    administration: Administration,
    service: Service | None,
    settings: Settings,
    *,
    kind: str | None = None,
    urgent: bool = False,
) -> int:
    """The days to answer in force (`policy_for(...).answer_days`): the service's, else the
    administration's, else the portal default; law 31-13's for information requests (20
    days, 3 when urgent). A filing needs only these: no whole policy built for each."""
    if kind == Kind.information_request:
        if urgent:
            return settings.information_urgent_days
        return (service.answer_days if service else None) or settings.information_answer_days
    return (
        (service.answer_days if service else None)
        or administration.answer_days
        or settings.answer_days
    )


def policy_for(
    administration: Administration,
    service: Service | None,
    settings: Settings,
    *,
    kind: str | None = None,
    urgent: bool = False,
) -> Policy:
    """Deadlines in force: the service's, else the administration's, else the portal default.

    Information requests follow law 31-13 instead: 20 days (3 when urgent), 20 days to appeal.
    """
    days = answer_days(administration, service, settings, kind=kind, urgent=urgent)
    if kind == Kind.information_request:
        return Policy(
            answer_days=days,
            reopen_window_days=settings.appeal_window_days,
            max_reopens=0,
            due_soon_days=settings.due_soon_days,
            escalation_days=settings.escalation_days,
        )
    return Policy(
        answer_days=days,
        reopen_window_days=(service.reopen_window_days if service else None)
        or administration.reopen_window_days
        or settings.reopen_window_days,
        max_reopens=administration.max_reopens
        if administration.max_reopens is not None
        else settings.max_reopens,
        appeal_window_days=settings.appeal_window_days,
        due_soon_days=settings.due_soon_days,
        escalation_days=settings.escalation_days,
    )


async def list_administrations(
    session: AsyncSession, *, q: str | None, sector: str | None
) -> list[Administration]:
    """The whole catalogue (about 120 bodies), filtered by folded name and sector."""
    return await repository.administrations(
        session, pattern=like_pattern(q) if q else None, sector=sector
    )


async def get_administration(session: AsyncSession, code: str) -> Administration:
    administration = await repository.administration_with_services(session, code)
    if administration is None:
        raise AdministrationNotFound(params={"code": code})
    return administration


async def find_administration(session: AsyncSession, code: str) -> Administration | None:
    return await repository.administration_by_code(session, code)


async def administration_id(direct: Direct, code: str) -> int | None:
    return await repository.administration_id_by_code(direct, code)


# --- the catalogue as submissions read it, cached per process

_Row = TypeVar("_Row", Administration, Service)
SESSION_KEY = "catalogue_cache"  # where `TransactionalRoute` puts the app's cache


def _detached_copy(row: _Row) -> _Row:
    """A copy of a loaded row that belongs to no session: safe to share between requests (a
    session that sees it never inserts it again, and its relationships are never loaded)."""
    copy = type(row)()
    for attribute in inspect(type(row)).column_attrs:
        setattr(copy, attribute.key, getattr(row, attribute.key))
    make_transient_to_detached(copy)
    return copy


class CatalogueCache:
    """Administrations and active services by code, as of one catalogue version.

    Every `refresh_seconds` at most, a look-up reads the version (one index probe); when it
    changed (a change committed by any process), everything cached is dropped. So a change
    shows in every process within `refresh_seconds` (0: checked at every look-up). Only what
    exists is cached; an unknown code is asked of the database each time.
    """

    def __init__(
        self, refresh_seconds: float, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.refresh_seconds = refresh_seconds
        self._monotonic = monotonic
        self._version: int | None = None
        self._checked_at = float("-inf")
        self._administrations: dict[str, Administration] = {}
        self._services: dict[tuple[int, str], Service] = {}
        # Parsed attribute definitions of the cached services (by the copy's id: the copy
        # stays in `_services`, so the id is not reused while the entry lives).
        self._definitions: dict[int, list[AttributeDefinition]] = {}
        # The read of the version under way, if any: when it began, and its end.
        self._pending: tuple[float, asyncio.Future[None]] | None = None

    async def _check(self, session: AsyncSession, direct: Direct | None) -> None:
        now = self._monotonic()
        while self._version is None or now - self._checked_at >= self.refresh_seconds:
            pending = self._pending
            if pending is None or now - pending[0] >= self.refresh_seconds:
                await self._read_version(session, direct, now)
                return
            # A read of the version begun within the refresh is under way: its answer is as
            # fresh as this look-up needs (as if read when it began). Else at each refresh,
            # every filing in flight would send the same query before the first one's answer
            # (31 reads where one does, at 32 in flight). Shielded: this look-up cancelled
            # does not cancel the others' wait. Failed or cancelled: one of its waiters reads.
            await asyncio.shield(pending[1])

    async def _read_version(self, session: AsyncSession, direct: Direct | None, now: float) -> None:
        read = asyncio.get_running_loop().create_future()
        self._pending = (now, read)
        try:
            # Read before any row: rows read after it are at least as new as this version.
            # On the driver only while the session holds no connection (never two at once).
            on = session if direct is None or session.in_transaction() else direct
            version = await repository.version(on)
            if version != self._version:
                self._administrations.clear()
                self._services.clear()
                self._definitions.clear()
                self._version = version
            self._checked_at = now
        finally:
            if self._pending is not None and self._pending[1] is read:
                self._pending = None
            read.set_result(None)

    async def administration(
        self, session: AsyncSession, code: str, direct: Direct | None = None
    ) -> Administration | None:
        """The administration `code`; the version checked on `direct` when given, so that a
        look-up that hits the cache uses no connection of the session."""
        await self._check(session, direct)
        key = code.upper()
        cached = self._administrations.get(key)
        if cached is None:
            found = await repository.administration_by_code(session, key)
            if found is None:
                return None
            cached = self._administrations[key] = _detached_copy(found)
        return cached

    async def service(
        self, session: AsyncSession, administration_id: int, code: str, direct: Direct | None = None
    ) -> Service | None:
        await self._check(session, direct)
        key = (administration_id, code)
        cached = self._services.get(key)
        if cached is None:
            found = await repository.active_service(session, administration_id, code)
            if found is None:
                return None
            cached = self._services[key] = _detached_copy(found)
            self._definitions[id(cached)] = [
                AttributeDefinition.model_validate(d) for d in cached.attributes
            ]
        return cached

    def definitions(self, service: Service) -> Sequence[Mapping[str, Any] | AttributeDefinition]:
        """The service's attribute definitions, parsed once when it is one of the cache's."""
        return self._definitions.get(id(service)) or service.attributes


async def administration_for_filing(
    session: AsyncSession, code: str, direct: Direct | None = None
) -> Administration | None:
    """An administration by code, for reading only (filing, transfers): from the app's cache
    when the session has one (HTTP requests), else from the database. With `direct`, the
    cache's version is checked there: a look-up that hits the cache leaves the session
    unused."""
    cache: CatalogueCache | None = session.info.get(SESSION_KEY)
    if cache is None:
        return await repository.administration_by_code(session, code)
    return await cache.administration(session, code, direct)


def attribute_definitions(
    session: AsyncSession, service: Service
) -> Sequence[Mapping[str, Any] | AttributeDefinition]:
    """What `validate_attributes` checks a submission against (parsed already when cached)."""
    cache: CatalogueCache | None = session.info.get(SESSION_KEY)
    return service.attributes if cache is None else cache.definitions(service)


async def service_for_filing(
    session: AsyncSession, administration_id: int, code: str, direct: Direct | None = None
) -> Service | None:
    """An active service of an administration, for reading only (see above)."""
    cache: CatalogueCache | None = session.info.get(SESSION_KEY)
    if cache is None:
        return await repository.active_service(session, administration_id, code)
    return await cache.service(session, administration_id, code, direct)


async def missing_service_code(session: AsyncSession, administration_id: int, code: str) -> str:
    """The field error of a service `service_for_filing` did not find: `service_archived` when
    it exists but is archived (it takes no new requests), else `unknown_service`."""
    found = await repository.any_service(session, administration_id, code)
    return "service_archived" if found is not None and not found.active else "unknown_service"


def summary(administration: Administration) -> AdministrationSummary:
    return AdministrationSummary(
        code=administration.code,
        name=administration.name,
        sector=administration.sector,
        parent=administration.parent.code if administration.parent else None,
        is_sample=administration.is_sample,
    )


def service_out(service: Service, administration: Administration, settings: Settings) -> ServiceOut:
    policy = policy_for(administration, service, settings)
    return ServiceOut.model_validate(
        {
            "code": service.code,
            "name": service.name,
            "description": service.description,
            "kinds": service.kinds,
            "answer_days": policy.answer_days,
            "reopen_window_days": policy.reopen_window_days,
            "required_documents": service.required_documents,
            "attributes": sorted(service.attributes, key=lambda a: a["order"]),
            "requires_verified_contact": service.requires_verified_contact,
        }
    )


def administration_out(administration: Administration, settings: Settings) -> AdministrationOut:
    policy = policy_for(administration, None, settings)
    return AdministrationOut(
        **summary(administration).model_dump(),
        answer_days=policy.answer_days,
        reopen_window_days=policy.reopen_window_days,
        services=[
            service_out(s, administration, settings) for s in administration.services if s.active
        ],
    )


def _search_text(name: dict[str, str], code: str) -> str:
    return fold(" ".join([code, name.get("ar", ""), name.get("fr", ""), name.get("en", "")]))


def read_sample() -> SampleCatalogue:
    raw = resources.files("app").joinpath("data/sample_catalogue.json").read_text("utf-8")
    return SampleCatalogue.model_validate(json.loads(raw))


async def load_sample(session: AsyncSession) -> tuple[int, int]:
    """Insert or update the sample catalogue (idempotent). Returns (administrations, services)."""
    catalogue = read_sample()
    existing = {a.code: a for a in await repository.all_with_services(session)}
    services = 0
    for item in catalogue.administrations:
        admin = existing.get(item.code)
        fields: dict[str, Any] = {
            "name": item.name.model_dump(),
            "sector": item.sector,
            "parent_id": existing[item.parent].id if item.parent else None,
            "answer_days": item.answer_days,
            "reopen_window_days": item.reopen_window_days,
            "is_sample": catalogue.sample,
            "search_text": _search_text(item.name.model_dump(), item.code),
        }
        if admin is None:
            admin = Administration(code=item.code, **fields)
            session.add(admin)
            await session.flush()
            await session.refresh(admin, ["services"])
            existing[item.code] = admin
        else:
            for key, value in fields.items():
                setattr(admin, key, value)
        by_code = {s.code: s for s in admin.services}
        for service_item in item.services:
            data = service_item.model_dump(mode="json", exclude={"code"})
            service = by_code.get(service_item.code)
            if service is None:
                session.add(Service(administration_id=admin.id, code=service_item.code, **data))
            else:
                for key, value in data.items():
                    setattr(service, key, value)
            services += 1
    await session.flush()
    return len(catalogue.administrations), services
