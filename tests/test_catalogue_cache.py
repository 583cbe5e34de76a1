"""Each API process keeps the catalogue it files against in memory, and drops it when the
database's catalogue version changes: a change made anywhere shows in every process within
`CATALOGUE_REFRESH_SECONDS`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractContextManager, AsyncExitStack, asynccontextmanager

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from app.models import Service
from app.repositories import catalogue as repository
from app.services.catalogue import CatalogueCache
from tests.factories import complaint
from tests.processes import FakeMonotonic, api_process
from tests.statements import recorded

REFRESH = 5.0


def _process(live, settings, clock: FakeMonotonic) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    """An API process of its own (its own app, its own cache) on the shared database."""
    return api_process(live, settings, clock, REFRESH)


async def _stop_taking_complaints(live, admin) -> None:  # type: ignore[no-untyped-def]
    """Another writer (its own committed transaction) makes `svc` take observations only."""
    async with live.sessionmaker() as session:
        await session.execute(
            update(Service)
            .where(Service.administration_id == admin.id, Service.code == "svc")
            .values(kinds=["observation"])
        )
        await session.commit()


async def test_a_catalogue_change_shows_in_every_process_within_the_refresh(live, settings):
    admin = live.administration
    clock = FakeMonotonic()
    async with _process(live, settings, clock) as first, _process(live, settings, clock) as second:
        assert (await first.post("/api/v1/requests", json=complaint(admin.code))).status_code == 201
        assert (
            await second.post("/api/v1/requests", json=complaint(admin.code))
        ).status_code == 201

        # Somewhere else, the service stops taking complaints.
        await _stop_taking_complaints(live, admin)

        clock.now += REFRESH
        for process in (first, second):
            refused = await process.post("/api/v1/requests", json=complaint(admin.code))
            assert refused.status_code == 422, refused.text
            assert refused.json()["errors"][0]["code"] == "kind_not_accepted"


async def test_within_the_refresh_a_process_files_from_memory(live, settings):
    """The bound is the refresh: a process that checked the version a moment ago does not
    read it again (nor the catalogue) before the refresh has passed."""
    admin = live.administration
    clock = FakeMonotonic()
    async with _process(live, settings, clock) as process:
        assert (
            await process.post("/api/v1/requests", json=complaint(admin.code))
        ).status_code == 201
        await _stop_taking_complaints(live, admin)
        clock.now += REFRESH / 2
        still = await process.post("/api/v1/requests", json=complaint(admin.code))
        assert still.status_code == 201
        clock.now += REFRESH / 2
        refused = await process.post("/api/v1/requests", json=complaint(admin.code))
        assert refused.status_code == 422


async def test_every_catalogue_change_moves_the_version_and_a_rollback_never_reuses_it(
    live,
):
    admin = live.administration
    async with live.sessionmaker() as session:
        before = await repository.version(session)
        await session.execute(
            update(Service).where(Service.administration_id == admin.id).values(active=False)
        )
        during = await repository.version(session)
        await session.rollback()
    async with live.sessionmaker() as session:
        assert await repository.version(session) == before
        await session.execute(
            update(Service).where(Service.administration_id == admin.id).values(active=True)
        )
        after = await repository.version(session)
        await session.commit()
    assert before < during < after


def _version_reads(engine: AsyncEngine) -> AbstractContextManager[list[str]]:
    return recorded(engine.sync_engine, lambda statement: "catalogue_changes" in statement)


@asynccontextmanager
async def _sessions(live, count: int) -> AsyncIterator[list]:
    """`count` sessions open at once, as as many filings in flight."""
    async with AsyncExitStack() as stack:
        yield [await stack.enter_async_context(live.sessionmaker()) for _ in range(count)]


async def test_look_ups_arriving_while_the_version_is_read_share_that_read(live, engine):
    """At a refresh, every filing in flight looks the catalogue up before the first read of
    the version has answered: they wait for that one read rather than each send it."""
    admin = live.administration
    clock = FakeMonotonic()
    cache = CatalogueCache(REFRESH, clock)
    async with _sessions(live, 6) as sessions:
        cached = await cache.administration(sessions[0], admin.code)
        clock.now += REFRESH
        with _version_reads(engine) as reads:
            found = await asyncio.gather(*(cache.administration(s, admin.code) for s in sessions))
        assert len(reads) == 1
        assert all(administration is cached for administration in found)


async def test_with_no_refresh_every_look_up_reads_the_version(live, engine):
    """`CATALOGUE_REFRESH_SECONDS=0` checks at every look-up: none relies on a read begun
    before it."""
    admin = live.administration
    cache = CatalogueCache(0, FakeMonotonic())
    async with _sessions(live, 4) as sessions:
        with _version_reads(engine) as reads:
            await asyncio.gather(*(cache.administration(s, admin.code) for s in sessions))
        assert len(reads) == len(sessions)


async def test_a_look_up_whose_shared_read_is_cancelled_reads_the_version_itself(live, engine):
    """The filing whose read the others wait for may be cancelled (its client gone): they
    read the version themselves and file as usual."""
    admin = live.administration
    clock = FakeMonotonic()
    cache = CatalogueCache(REFRESH, clock)
    async with _sessions(live, 4) as sessions:
        cached = await cache.administration(sessions[0], admin.code)
        clock.now += REFRESH
        with _version_reads(engine) as reads:
            first = asyncio.create_task(cache.administration(sessions[0], admin.code))
            for _ in range(1000):  # until its read is sent (not answered yet)
                if reads:
                    break
                await asyncio.sleep(0)
            assert reads
            others = [
                asyncio.create_task(cache.administration(s, admin.code)) for s in sessions[1:]
            ]
            await asyncio.sleep(0)  # the others wait for the first's read
            first.cancel()
            found = await asyncio.gather(*others)
        assert first.cancelled()
        assert all(administration is cached for administration in found)
        assert len(reads) == 2
