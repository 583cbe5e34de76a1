"""Migrations build the schema the models describe, and unwind cleanly."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import make_url, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from app.__main__ import ROOT
from app.db import async_url
from app.models import Base
from tests.conftest import _in_thread


def _config(url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", async_url(url).replace("%", "%%"))
    return config


@contextmanager
def _scratch_database(server_url: str) -> Iterator[str]:
    """A database of its own on the test server, dropped afterwards: its URL."""
    name = f"chikaya_migrations_{secrets.token_hex(3)}"
    _in_thread(lambda: _autocommit(server_url, f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        _in_thread(
            lambda: _autocommit(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        )


def test_upgrade_matches_models_and_downgrade_unwinds(server_url):
    async def differences(url: str) -> list[object]:
        engine = create_async_engine(url, poolclass=NullPool)
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts={"compare_type": True}), Base.metadata
                )
            )
        await engine.dispose()
        return list(diff)

    async def tables(url: str) -> set[str]:
        engine = create_async_engine(url, poolclass=NullPool)
        async with engine.connect() as conn:
            rows = await conn.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            )
            names = {row[0] for row in rows}
        await engine.dispose()
        return names

    with _scratch_database(server_url) as url:
        config = _config(url)
        _in_thread(lambda: asyncio.to_thread(command.upgrade, config, "head"))
        assert _in_thread(lambda: differences(url)) == []
        _in_thread(lambda: asyncio.to_thread(command.downgrade, config, "base"))
        assert _in_thread(lambda: tables(url)) == {"alembic_version"}
        _in_thread(lambda: asyncio.to_thread(command.upgrade, config, "head"))
        assert "requests" in _in_thread(lambda: tables(url))


# The partial indexes migration 0026 drops and 0027 builds again concurrently.
PARTIAL_INDEXES = {
    "ix_requests_answered_at",
    "ix_requests_running_due",
    "ix_requests_retention",
    "ix_requests_escalated",
    "ix_requests_national",
    "ix_outbox_due",
    "ix_outbox_recipient_pending",
    "ix_outbox_parked",
    "ix_outbox_expiring",
}


async def _autocommit(url: str, sql: str) -> list[tuple[object, ...]]:
    """One statement outside any transaction (as `CREATE INDEX CONCURRENTLY` must be), its rows."""
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    async with engine.connect() as conn:
        result = await conn.execute(text(sql))
        rows = [tuple(row) for row in result] if result.returns_rows else []
    await engine.dispose()
    return rows


def test_partial_indexes_built_again_after_a_failed_run(server_url):
    """Migration 0027 run again where an earlier run of it stopped (the version still 0026):
    an index it had built is kept, one it left invalid (as a cancelled or deadlocked
    `CREATE INDEX CONCURRENTLY` leaves it) is built again, the missing ones are built, and
    the version is stamped only then."""

    def indexes() -> dict[str, tuple[bool, int]]:
        rows = _in_thread(
            lambda: _autocommit(
                url,
                "SELECT c.relname, i.indisvalid, c.oid::int FROM pg_index i "
                "JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname LIKE 'ix_%'",
            )
        )
        return {str(n): (bool(v), int(str(o))) for n, v, o in rows if n in PARTIAL_INDEXES}

    with _scratch_database(server_url) as url:
        config = _config(url)
        _in_thread(lambda: asyncio.to_thread(command.upgrade, config, "0026"))
        assert indexes() == {}
        _in_thread(
            lambda: _autocommit(
                url,
                "CREATE INDEX CONCURRENTLY ix_outbox_parked ON outbox (id) WHERE status = 'parked'",
            )
        )
        _in_thread(
            lambda: _autocommit(
                url,
                "CREATE INDEX CONCURRENTLY ix_requests_running_due ON requests (due_at, id) "
                "WHERE state IN ('submitted', 'in_progress')",
            )
        )
        _in_thread(
            lambda: _autocommit(
                url,
                "UPDATE pg_index SET indisvalid = false "
                "WHERE indexrelid = 'ix_requests_running_due'::regclass",
            )
        )
        before = indexes()
        assert before.keys() == {"ix_outbox_parked", "ix_requests_running_due"}
        assert not before["ix_requests_running_due"][0]

        _in_thread(lambda: asyncio.to_thread(command.upgrade, config, "0027"))

        after = indexes()
        assert after.keys() == PARTIAL_INDEXES
        assert all(valid for valid, _ in after.values()), after
        assert after["ix_outbox_parked"] == before["ix_outbox_parked"]
        assert after["ix_requests_running_due"][1] != before["ix_requests_running_due"][1]
        assert _in_thread(
            lambda: _autocommit(
                url,
                "SELECT convalidated FROM pg_constraint WHERE conname = 'ck_requests_coordinates'",
            )
        ) == [(True,)]
        assert _in_thread(lambda: _autocommit(url, "SELECT version_num FROM alembic_version")) == [
            ("0027",)
        ]


async def test_migrated_checks_are_the_models_checks(session):
    """Alembic compares no CHECK constraint: each the models declare is compared here with the
    migrated one, as PostgreSQL stores both (the same condition applied to a copy of the
    table), so that a check rewritten in a migration is rewritten in its model too."""
    from sqlalchemy import CheckConstraint

    compared = 0
    for table in Base.metadata.sorted_tables:
        checks = [c for c in table.constraints if isinstance(c, CheckConstraint)]
        for check in checks:
            name = str(check.name)
            migrated = await session.scalar(
                text(
                    "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conname = :name AND conrelid = CAST(:table AS regclass)"
                ),
                {"name": name, "table": table.name},
            )
            copy = f"copy_{table.name}"
            await session.execute(
                text(f'CREATE TEMP TABLE IF NOT EXISTS "{copy}" (LIKE "{table.name}")')
            )
            condition = str(check.sqltext).replace(":", r"\:")
            await session.execute(
                text(f'ALTER TABLE "{copy}" ADD CONSTRAINT "{name}" CHECK ({condition})')
            )
            modelled = await session.scalar(
                text(
                    "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conname = :name AND conrelid = CAST(:table AS regclass)"
                ),
                {"name": name, "table": copy},
            )
            assert migrated == modelled, (table.name, name)
            compared += 1
    assert compared >= 8  # every table's, those of `requests` included
    assert await _migrated_domains_are_the_models_domains(session) >= 14


async def _migrated_domains_are_the_models_domains(session) -> int:
    """The columns the models type by a domain (`app.models.domains`) have that type, and each
    domain its base type and its constraint as the model declares it (created alike in a
    schema of the test's transaction). The migrated constraints are `NOT VALID` (migration
    0026: the rows were checked by the table checks they replaced)."""
    from sqlalchemy.dialects import postgresql
    from sqlalchemy.types import TypeDecorator

    from app.models.domains import Domain

    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    query = text(
        "SELECT format_type(d.typbasetype, d.typtypmod) AS base, c.conname, "
        "pg_get_constraintdef(c.oid) AS condition FROM pg_type d "
        "JOIN pg_constraint c ON c.contypid = d.oid "
        "WHERE d.typname = :name AND d.typnamespace = CAST(:schema AS regnamespace)"
    )
    await session.execute(text("CREATE SCHEMA modelled_domains"))
    compared = 0
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            domain = column.type
            if isinstance(domain, TypeDecorator):
                domain = domain.impl_instance
            if not isinstance(domain, Domain):
                continue
            typed = await session.scalar(
                text(
                    "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                    "WHERE attrelid = CAST(:table AS regclass) AND attname = :column"
                ),
                {"table": table.name, "column": column.name},
            )
            assert typed == domain.name, (table.name, column.name)
            base = domain.data_type.compile(dialect=dialect)
            await session.execute(
                text(
                    f"CREATE DOMAIN modelled_domains.{domain.name} AS {base} "
                    f"CONSTRAINT {domain.constraint_name} CHECK ({domain.check})"
                )
            )
            migrated = await session.execute(query, {"name": domain.name, "schema": "public"})
            modelled = await session.execute(
                query, {"name": domain.name, "schema": "modelled_domains"}
            )
            migrated_rows = [
                (row.base, row.conname, row.condition.removesuffix(" NOT VALID"))
                for row in migrated
            ]
            assert migrated_rows == [tuple(row) for row in modelled], domain.name
            await session.execute(text(f"DROP DOMAIN modelled_domains.{domain.name}"))
            compared += 1
    return compared


def test_search_vector_written_keeps_the_vectors_and_downgrade_generates_them(server_url):
    """0028 leaves the column's values as PostgreSQL generated them (no longer generated: the
    application writes it); its downgrade generates them again from the search text."""
    generated = (
        "SELECT attgenerated::text FROM pg_attribute "
        "WHERE attrelid = 'requests'::regclass AND attname = 'search_vector'"
    )
    vector = "SELECT search_vector::text FROM requests"
    with _scratch_database(server_url) as url:
        config = _config(url)
        _in_thread(lambda: asyncio.to_thread(command.upgrade, config, "0027"))
        _in_thread(
            lambda: _autocommit(
                url,
                "INSERT INTO administrations (code, name, sector, search_text) "
                "VALUES ('A', '{}', 'public_service', 'a')",
            )
        )
        _in_thread(
            lambda: _autocommit(
                url,
                "INSERT INTO requests (tracking_number, kind, state, version, "
                "administration_id, subject, description, attributes, language, channel, "
                "person_type, full_name, email, received_at, clock_started_at, due_at, "
                "reopen_count, updated_at, created_at, search_text) SELECT 'T1', 'complaint', "
                "'submitted', 1, id, 's', 'd', '{}', 'fr', 'web', 'natural', 'n', 'n@x.ma', "
                "now(), now(), now(), 0, now(), now(), 'pol 777 pol' FROM administrations",
            )
        )
        assert _in_thread(lambda: _autocommit(url, generated)) == [("s",)]
        _in_thread(lambda: asyncio.to_thread(command.upgrade, config, "0028"))
        assert _in_thread(lambda: _autocommit(url, generated)) == [("",)]
        assert _in_thread(lambda: _autocommit(url, vector)) == [("'777':2 'pol':1,3",)]
        _in_thread(lambda: _autocommit(url, "UPDATE requests SET search_vector = 'x'"))
        _in_thread(lambda: asyncio.to_thread(command.downgrade, config, "0027"))
        assert _in_thread(lambda: _autocommit(url, generated)) == [("s",)]
        assert _in_thread(lambda: _autocommit(url, vector)) == [("'777':2 'pol':1,3",)]
        index = "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_requests_search'"
        assert "gin (search_vector)" in str(_in_thread(lambda: _autocommit(url, index)))


def test_outbox_fanout_downgrade_refuses_while_a_fanout_waits(server_url):
    """0029's downgrade would narrow the channels under a pending fan-out, whose messages no
    dispatcher of before could write out: it refuses, and goes once the fan-out is written
    out (its trace deleted, the channel narrowed again)."""
    fanout = (
        "INSERT INTO outbox (message_id, channel, event, recipient, payload, status, attempts, "
        "next_attempt_at, created_at) VALUES (gen_random_uuid(), 'fanout', 'filing', '', '{}', "
        "'pending', 0, now(), now())"
    )
    with _scratch_database(server_url) as url:
        config = _config(url)
        _in_thread(lambda: asyncio.to_thread(command.upgrade, config, "0029"))
        _in_thread(lambda: _autocommit(url, fanout))
        with pytest.raises(RuntimeError, match="1 fan-outs are not written out yet"):
            _in_thread(lambda: asyncio.to_thread(command.downgrade, config, "0028"))
        version = "SELECT version_num FROM alembic_version"
        assert _in_thread(lambda: _autocommit(url, version)) == [("0029",)]
        _in_thread(lambda: _autocommit(url, "UPDATE outbox SET status = 'sent'"))
        _in_thread(lambda: asyncio.to_thread(command.downgrade, config, "0028"))
        assert _in_thread(lambda: _autocommit(url, "SELECT count(*) FROM outbox")) == [(0,)]
        with_fanout = fanout.replace("'pending'", "'sent'")
        with pytest.raises(DBAPIError, match="outbox_channel_check"):  # refused again
            _in_thread(lambda: _autocommit(url, with_fanout))
