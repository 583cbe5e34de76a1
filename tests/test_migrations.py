"""Migrations build the schema the models describe, and unwind cleanly."""

from __future__ import annotations

import asyncio
import secrets

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import make_url, text
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


def test_upgrade_matches_models_and_downgrade_unwinds(server_url):
    name = f"chikaya_migrations_{secrets.token_hex(3)}"

    async def admin(sql: str) -> None:
        engine = create_async_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        async with engine.connect() as conn:
            await conn.execute(text(sql))
        await engine.dispose()

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

    _in_thread(lambda: admin(f'CREATE DATABASE "{name}"'))
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    try:
        config = _config(url)
        _in_thread(lambda: asyncio.to_thread(command.upgrade, config, "head"))
        assert _in_thread(lambda: differences(url)) == []
        _in_thread(lambda: asyncio.to_thread(command.downgrade, config, "base"))
        assert _in_thread(lambda: tables(url)) == {"alembic_version"}
        _in_thread(lambda: asyncio.to_thread(command.upgrade, config, "head"))
        assert "requests" in _in_thread(lambda: tables(url))
    finally:
        _in_thread(lambda: admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


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
    assert compared >= 20  # every table's, those of `requests` included
