"""Looking at the database from tests: row counts, every table, SQL statement counting."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

import cohort.domain.models  # noqa: F401  (registers every table on the metadata)
from cohort.db import Base

SERVER_URL = os.environ.get("TEST_DATABASE_SERVER", "postgresql+asyncpg://postgres@127.0.0.1:5432")


async def snapshot(engine: AsyncEngine) -> list[str]:
    """Every row of every domain table (minus the token ``last_used_at`` bookkeeping), sorted."""
    rows: list[str] = []
    async with engine.connect() as conn:
        for table in all_tables():
            result = await conn.execute(text(f"SELECT to_jsonb(t) - 'last_used_at' FROM {table} t"))  # noqa: S608
            rows += sorted(f"{table} {json.dumps(row, sort_keys=True)}" for (row,) in result)
    return rows


def all_tables() -> tuple[str, ...]:
    """Every application table, children before parents (so a TRUNCATE list never misses one)."""
    return tuple(table.name for table in reversed(Base.metadata.sorted_tables))


async def count_rows(db: AsyncSession, model: type[Any], *where: Any) -> int:
    """How many committed-or-flushed rows of ``model`` match ``where``."""
    return int(await db.scalar(select(func.count()).select_from(model).where(*where)) or 0)


class QueryCounter:
    """The SQL statements sent while counting."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


@contextmanager
def counting_queries() -> Iterator[QueryCounter]:
    """``with counting_queries() as q: ...`` then ``q.count``: statements sent by any engine."""
    counter = QueryCounter()

    def on_execute(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        counter.statements.append(statement)

    event.listen(Engine, "before_cursor_execute", on_execute)
    try:
        yield counter
    finally:
        event.remove(Engine, "before_cursor_execute", on_execute)


def run_cli(
    *args: str, database_url: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the ``cohort`` CLI in a subprocess against ``database_url`` (as ``COHORT_ENV=test``
    unless ``env`` says otherwise)."""
    env = {**os.environ, "DATABASE_URL": database_url, "COHORT_ENV": "test", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "cohort", *args], env=env, capture_output=True, text=True, check=False
    )
