"""Every query an index of `requests` or `outbox` exists for is planned on that index, on a table
seeded with a national mix and analyzed (so the planner chooses as it would in production, not
by the estimates of an empty table): dropping an index a query needs fails here. The cases and
the seed: `tests/index_plans.py`; the same plans on a large seed: `bench/index_plans.py`."""

from __future__ import annotations

import pytest

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
