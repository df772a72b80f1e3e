"""Database wiring: the declarative base, the advanced-alchemy config and the engine settings."""

from __future__ import annotations

from advanced_alchemy.base import UUIDv7AuditBase
from advanced_alchemy.extensions.litestar import (
    AlembicAsyncConfig,
    AsyncSessionConfig,
    EngineConfig,
    SQLAlchemyAsyncConfig,
)
from litestar.types import BeforeMessageSendHookHandler

from cohort.config import Settings

Base = UUIDv7AuditBase
"""Every table has a time-ordered UUID primary key plus ``created_at``/``updated_at``."""


def build_alchemy_config(
    settings: Settings, *, before_send_handler: BeforeMessageSendHookHandler | None = None
) -> SQLAlchemyAsyncConfig:
    """The one SQLAlchemy config the app, the CLI and the worker share.

    The app passes its own ``before_send_handler`` (commit, then enqueue the jobs the commit made
    ready); it must commit on 2xx and 3xx like the default.
    """
    return SQLAlchemyAsyncConfig(
        connection_string=settings.database_url,
        engine_config=EngineConfig(
            echo=settings.database_echo,
            pool_size=settings.database_pool_size,
            pool_pre_ping=True,
        ),
        session_config=AsyncSessionConfig(expire_on_commit=False),
        # Commit on 2xx and 3xx: the GitHub callback creates the user and answers with a redirect.
        before_send_handler=before_send_handler or "autocommit_include_redirects",
        create_all=False,
        set_default_exception_handler=False,
        alembic_config=AlembicAsyncConfig(
            script_location=str(settings.migrations_dir),
            version_table_name="alembic_version",
        ),
    )
