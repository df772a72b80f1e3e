"""Alembic migrations: build the full schema, revert to nothing, rebuild, and match the models exactly."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

import cohort.domain.models  # noqa: F401  (registers every table on the metadata)
from cohort.db import Base
from cohort.migrate import alembic_config, drop_database
from tests.support.db import SERVER_URL, run_cli

APP_TABLES = frozenset(Base.metadata.tables)
VERSION_TABLE = "alembic_version"


@pytest.fixture
async def fresh_database_url() -> AsyncIterator[str]:
    """A database name no one has used; created by the CLI in the test, always dropped afterwards."""
    url = f"{SERVER_URL}/cohort_migrations_{uuid.uuid4().hex[:12]}"
    yield url
    await drop_database(url)


def head_revision(url: str) -> str:
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    assert head is not None
    return head


def _schema_diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


def _snapshot(connection: Connection) -> dict[str, Any]:
    """Tables (with their indexes) and the recorded Alembic revisions."""
    inspector = inspect(connection)
    tables = set(inspector.get_table_names())
    versions: list[str] = []
    if VERSION_TABLE in tables:
        versions = list(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())
    indexes = {t: {ix["name"] for ix in inspector.get_indexes(t)} for t in tables}
    return {"tables": tables, "versions": versions, "indexes": indexes, "diff": _schema_diff(connection)}


async def snapshot(url: str) -> dict[str, Any]:
    engine = create_async_engine(url, poolclass=pool.NullPool)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(_snapshot)
    finally:
        await engine.dispose()


def cli_ok(*args: str, database_url: str) -> str:
    result = run_cli(*args, database_url=database_url)
    assert result.returncode == 0, result.stderr
    return result.stdout


async def test_upgrade_builds_every_table_on_a_new_database(fresh_database_url: str) -> None:
    out = cli_ok("db", "upgrade", database_url=fresh_database_url)
    assert "created database" in out

    state = await snapshot(fresh_database_url)
    assert state["tables"] == APP_TABLES | {VERSION_TABLE}
    assert state["versions"] == [head_revision(fresh_database_url)]
    assert state["diff"] == []
    # every index the models declare exists
    for table in Base.metadata.sorted_tables:
        assert {ix.name for ix in table.indexes} <= state["indexes"][table.name], table.name

    # upgrading an up-to-date database is a no-op
    again = cli_ok("db", "upgrade", database_url=fresh_database_url)
    assert "created database" not in again
    assert await snapshot(fresh_database_url) == state


async def test_downgrade_to_base_is_reversible(fresh_database_url: str) -> None:
    cli_ok("db", "upgrade", database_url=fresh_database_url)
    built = await snapshot(fresh_database_url)

    cli_ok("db", "downgrade", "--revision", "base", database_url=fresh_database_url)
    emptied = await snapshot(fresh_database_url)
    assert emptied["tables"] <= {VERSION_TABLE}
    assert emptied["tables"].isdisjoint(APP_TABLES)
    assert emptied["versions"] == []

    cli_ok("db", "upgrade", database_url=fresh_database_url)
    rebuilt = await snapshot(fresh_database_url)
    assert rebuilt == built
    assert rebuilt["diff"] == []


async def test_models_match_the_migrations(database_url: str) -> None:
    """Autogenerate against the migrated test database finds nothing to add, drop or alter."""
    state = await snapshot(database_url)
    assert state["versions"] == [head_revision(database_url)]
    assert state["diff"] == [], "models and migrations disagree; write a migration"
