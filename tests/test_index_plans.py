"""Every query an index of `requests` or `outbox` exists for is planned on that index, on a table
seeded with a national mix and analyzed (so the planner chooses as it would in production, not
by the estimates of an empty table): dropping an index a query needs fails here. The cases and
the seed: `tests/index_plans.py`; the same plans on a large seed: `bench/index_plans.py`."""

from __future__ import annotations

import re

import pytest

from app.repositories import requests as requests_repository
from tests.factories import create_request, make_administration
from tests.index_plans import CASES, Case, plan, seed, seeded_ids

# Modest (the whole test takes a few seconds), yet enough that a sequential scan of `requests`
# or `outbox` prices above any index that serves the query.
REQUESTS = 20_000


@pytest.fixture
async def seeded(connection):
    await seed(connection, REQUESTS)
    return await seeded_ids(connection)


async def test_each_query_rides_on_its_index(connection, seeded):
    wrong: list[str] = []
    for case in (case for case in CASES if case.asserted):
        statement, params = case.build(seeded)
        found = await plan(connection, statement, params)
        if not _served(case, found):
            wrong.append(f"{case.name}: expected one of {sorted(case.serves)}\n{found}")
    assert not wrong, "\n\n".join(wrong)


def _served(case: Case, found: str) -> bool:
    used = any(f" {index} " in found or found.endswith(f" {index}") for index in case.serves)
    return used and f"Seq Scan on {case.table} " not in found


async def test_the_national_list_of_a_level_reads_it_in_due_order(connection, seeded):
    """The national admins' list of one escalation level comes in due order from its own
    index, not by walking every request by due date, nor by reading and sorting every entry of
    that level (escalated requests stay escalated once closed: they add up over the years)."""
    [national] = [case for case in CASES if case.name == "queue, national, escalation level 2"]
    statement, params = national.build(seeded)
    found = await plan(connection, statement, params)
    assert "ix_requests_national" in found
    assert "ix_requests_due " not in found
    assert "Sort" not in found  # the page is the index's first rows, in its order


_BY_KEY = {
    **{
        f"detail, {role}": compiled
        for role, compiled in requests_repository._DETAIL_ON_DRIVER.items()
    },
    **{
        f"action's lock, account {account}": compiled
        for account, compiled in requests_repository._LOCKED_ROW.items()
    },
}


@pytest.mark.parametrize("name", list(_BY_KEY))
async def test_one_request_reads_its_catalogue_rows_by_key_whatever_the_statistics(
    connection, session, name
):
    """The detail view's statements and an action's lock, each planned once for every call (a
    generic plan), look up the request's administration, service and staff by key: analyzed
    on a catalogue of a few rows, plain joins became merge joins over whole tables with two
    sorts, and a benchmark's reads cost PostgreSQL four times as much from that analyze on."""
    for _ in range(2):
        admin = await make_administration(session)
        for _ in range(3):
            await create_request(session, administration=admin)
    await connection.exec_driver_sql("ANALYZE")
    compiled = _BY_KEY[name]
    await connection.exec_driver_sql("SET LOCAL plan_cache_mode = force_generic_plan")
    await connection.exec_driver_sql(f"PREPARE detail_plan AS {compiled.sql}")
    try:
        count = max(int(number) for number in re.findall(r"\$(\d+)", compiled.sql))
        nulls = ", ".join(["NULL"] * count)
        rows = await connection.exec_driver_sql(f"EXPLAIN EXECUTE detail_plan({nulls})")
        found = "\n".join(row[0] for row in rows)
    finally:
        await connection.exec_driver_sql("DEALLOCATE detail_plan")
    assert "Merge" not in found, found
    assert "Hash" not in found, found
