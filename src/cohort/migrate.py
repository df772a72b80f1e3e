"""Run Alembic migrations from code (the CLI, the service start-up and the tests use this)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url

from cohort.config import get_settings


def alembic_config(database_url: str, migrations_dir: Path | None = None) -> Config:
    """Alembic's config for ``database_url``; the scripts come from the ``migrations_dir`` setting."""
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir or get_settings().migrations_dir))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    cfg.set_main_option("timezone", "UTC")
    return cfg


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(database_url), revision)


def _server_dsn(database_url: str, database: str = "postgres") -> tuple[str, str]:
    url = make_url(database_url)
    target = url.database or "cohort"
    server = url.set(drivername="postgresql", database=database)
    return server.render_as_string(hide_password=False), target


async def _create_database(database_url: str) -> bool:
    dsn, name = _server_dsn(database_url)
    conn = await asyncpg.connect(dsn)
    try:
        if await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            return False
        await conn.execute(f'CREATE DATABASE "{name}"')
        return True
    finally:
        await conn.close()


def ensure_database(database_url: str) -> bool:
    """Create the database named in ``database_url`` if it is missing; True if it was created."""
    return asyncio.run(_create_database(database_url))


async def drop_database(database_url: str) -> None:
    dsn, name = _server_dsn(database_url)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()
