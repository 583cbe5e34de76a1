"""The thin service's own small tables, and a seed of a similar size to the project's data."""

from __future__ import annotations

import asyncpg

SCHEMA = """
CREATE TABLE requests (
    id bigserial PRIMARY KEY,
    tracking_number text NOT NULL UNIQUE,
    kind text NOT NULL,
    state text NOT NULL DEFAULT 'submitted',
    version int NOT NULL DEFAULT 1,
    administration text NOT NULL,
    service text,
    subject text NOT NULL,
    description text NOT NULL,
    attributes jsonb NOT NULL DEFAULT '{}',
    full_name text NOT NULL,
    email text,
    phone text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    due_at timestamptz NOT NULL DEFAULT now() + interval '60 days'
);
CREATE INDEX requests_queue ON requests (administration, due_at, id);
CREATE INDEX requests_created ON requests (created_at DESC, id DESC);
CREATE TABLE events (
    id bigserial PRIMARY KEY,
    request_id bigint NOT NULL REFERENCES requests (id),
    action text NOT NULL,
    note text,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_request ON events (request_id);
CREATE TABLE request_stats (
    administration text NOT NULL,
    service text NOT NULL,
    kind text NOT NULL,
    month date NOT NULL,
    received bigint NOT NULL,
    processed bigint NOT NULL,
    processing_seconds bigint NOT NULL,
    PRIMARY KEY (administration, service, kind, month)
);
"""

SEED_REQUESTS = """
INSERT INTO requests (tracking_number, kind, administration, service, subject, description,
                      attributes, full_name, email, phone)
SELECT 'SEED-' || g, 'complaint', 'ACAPS', 'insurance', 'Sujet ' || g, 'Description ' || g,
       '{"insurer": "Assur"}', 'Citoyen ' || g, 'c' || g || '@example.ma', '+212612345678'
FROM generate_series(1, $1::int) g
"""

SEED_STATS = """
INSERT INTO request_stats
SELECT 'A' || (g % 20), 's' || g, 'complaint', date_trunc('month', now())::date, 50, 40, 86400
FROM generate_series(1, $1::int) g
"""


async def create(dsn: str, requests: int, stats_rows: int) -> None:
    """The tables, `requests` seeded rows and `stats_rows` statistics rows."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(SCHEMA)
        await conn.execute(SEED_REQUESTS, requests)
        await conn.execute(SEED_STATS, stats_rows)
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
