"""Database wiring: the declarative base, the advanced-alchemy config and the engine settings."""

from __future__ import annotations

import enum
from typing import Any
from uuid import uuid4

from advanced_alchemy.base import UUIDv7AuditBase
from advanced_alchemy.extensions.litestar import (
    AlembicAsyncConfig,
    AsyncSessionConfig,
    EngineConfig,
    SQLAlchemyAsyncConfig,
)
from sqlalchemy import Enum

from cohort.config import Settings

DRIVER_STATEMENTS_KEY = "cohort.driver_statements"
"""Set in a request session's ``info`` when its connections go straight to PostgreSQL (not through
PgBouncer's transaction pooling, where a statement outside a transaction may be prepared on one
server connection and run on another): a hot statement may then be sent through asyncpg itself."""

Base = UUIDv7AuditBase
"""Every table has a time-ordered UUID primary key plus ``created_at``/``updated_at``."""


def string_enum(cls: type[enum.Enum], name: str) -> Enum:
    """An enum column stored as its values in a ``VARCHAR`` with a CHECK, not a PostgreSQL type,
    so adding a member later is a plain migration."""
    return Enum(cls, name=name, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


def _unique_statement_name() -> str:
    return f"__cohort_{uuid4().hex}__"


def asyncpg_connect_args(settings: Settings) -> dict[str, Any]:
    """asyncpg options for where the connections go.

    Straight to PostgreSQL, prepared statements are cached per connection (``statement_cache_size``).
    Behind PgBouncer in transaction pooling (``DATABASE_PGBOUNCER``), consecutive transactions of one
    client connection may run on different server connections, where a cached statement does not
    exist ("prepared statement ... does not exist") or another client's statement of the same name
    does ("... already exists"). So neither asyncpg nor SQLAlchemy caches statements there, and every
    statement SQLAlchemy prepares gets a unique name; a statement is prepared and executed inside one
    transaction, so on one server connection.
    """
    if not settings.database_pgbouncer:
        return {"statement_cache_size": settings.database_statement_cache_size}
    return {
        "statement_cache_size": 0,
        "prepared_statement_cache_size": 0,
        "prepared_statement_name_func": _unique_statement_name,
    }


def build_alchemy_config(
    settings: Settings, config_type: type[SQLAlchemyAsyncConfig] = SQLAlchemyAsyncConfig
) -> SQLAlchemyAsyncConfig:
    """The one SQLAlchemy config the app, the CLI and the worker share.

    No pre-ping on checkout (it costs a round trip per request): a connection the server dropped
    fails its first statement, SQLAlchemy then discards every pooled connection older than the
    failure, and the web layer retries an idempotent read once on a fresh one. The app settles
    each request's transaction itself (:mod:`cohort.web.transactions`).
    """
    config = config_type(
        connection_string=settings.database_url,
        engine_config=EngineConfig(
            echo=settings.database_echo,
            pool_size=settings.database_pool_size,
            max_overflow=settings.database_max_overflow,
            pool_pre_ping=False,
            connect_args=asyncpg_connect_args(settings),
        ),
        session_config=AsyncSessionConfig(expire_on_commit=False),
        create_all=False,
        set_default_exception_handler=False,
        alembic_config=AlembicAsyncConfig(
            script_location=str(settings.migrations_dir),
            version_table_name="alembic_version",
        ),
    )
    # Every config after the first in a process gets a suffixed engine state key ("db_engine_1"),
    # and advanced-alchemy's lifespan disposes the engine only when the dependency key equals it.
    # Two apps in one process (a test client beside a live server) would otherwise leak the second
    # app's connections from one event loop into the next.
    config.engine_dependency_key = config.engine_app_state_key
    return config
