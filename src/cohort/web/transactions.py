"""One transaction per request, paid for only when the request writes.

Requests that cannot change anything (``GET`` and ``HEAD``, except the sign-in flow under
``/auth/``) run their statements on an ``AUTOCOMMIT`` connection: no ``BEGIN``, no ``COMMIT``, no
``ROLLBACK``, one round trip per statement. Under PostgreSQL's default READ COMMITTED isolation
every statement sees a fresh snapshot inside a transaction too, so reads see exactly what they did
before. A read request that still leaves ORM changes or buffered events and jobs behind (a token's
``last_used_at``, say) is committed as before, so the after-commit hooks of
:mod:`cohort.after_commit` and :mod:`cohort.events` still fire.

Every other request keeps the transaction it had: committed on 2xx and 3xx (the GitHub callback
creates the user and answers with a redirect), rolled back otherwise.
"""

from __future__ import annotations

from typing import Any, cast

import structlog
from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig
from advanced_alchemy.extensions.litestar._utils import delete_aa_scope_state, get_aa_scope_state
from litestar.datastructures import State
from litestar.types import Message, Scope
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from cohort import after_commit, events
from cohort.config import Settings
from cohort.db import DRIVER_STATEMENTS_KEY, build_alchemy_config
from cohort.web.jobs import commit_then_enqueue

log = structlog.get_logger("cohort.transactions")

READ_METHODS = frozenset({"GET", "HEAD"})
WRITING_PATHS = ("/auth/",)
"""Paths whose ``GET`` requests write several rows that must commit together (GitHub sign-in)."""
AUTOCOMMIT_ENGINE_KEY = "cohort_autocommit_engine"
COMMIT_STATUSES = range(200, 400)
RESPONSE_START = "http.response.start"
SESSION_DONE = frozenset({RESPONSE_START, "http.disconnect", "websocket.disconnect", "websocket.close"})


def reads_only(scope: Scope) -> bool:
    """Whether this request cannot change anything, so its session needs no transaction."""
    return scope.get("method") in READ_METHODS and not scope["path"].startswith(WRITING_PATHS)


def has_unsaved_work(session: AsyncSession) -> bool:
    """ORM changes not flushed yet, or events and jobs waiting for a commit."""
    return bool(
        session.new
        or session.dirty
        or session.deleted
        or session.info.get(events.PENDING)
        or after_commit.has_pending(session)
    )


class RequestSessionConfig(SQLAlchemyAsyncConfig):
    """advanced-alchemy's config, handing read requests a session on an autocommit connection.

    Used only when the database is reached directly, so its sessions allow driver statements
    (:data:`cohort.db.DRIVER_STATEMENTS_KEY`)."""

    def provide_session(self, state: State, scope: Scope) -> AsyncSession:
        session = cast("AsyncSession | None", get_aa_scope_state(scope, self.session_scope_key))
        if session is not None:
            return session
        session = super().provide_session(state, scope)
        session.info[DRIVER_STATEMENTS_KEY] = True
        if reads_only(scope):
            engine = state.get(AUTOCOMMIT_ENGINE_KEY)
            if engine is None:
                base = cast("AsyncEngine", state[self.engine_app_state_key])
                engine = state[AUTOCOMMIT_ENGINE_KEY] = base.execution_options(isolation_level="AUTOCOMMIT")
            session.bind = engine
            session.sync_session.bind = engine.sync_engine
        return session


def settle_transaction(config: SQLAlchemyAsyncConfig) -> Any:
    """The before-send hook: commit or roll back the request's session, then close it."""
    scope_key = config.session_scope_key

    async def handler(message: Message, scope: Scope) -> None:
        session = cast("AsyncSession | None", get_aa_scope_state(scope, scope_key))
        if session is None or message["type"] not in SESSION_DONE:
            return
        try:
            if message["type"] == RESPONSE_START:
                if cast("Any", message)["status"] not in COMMIT_STATUSES:
                    await session.rollback()
                elif not reads_only(scope) or has_unsaved_work(session):
                    await session.commit()
        except Exception:
            log.exception("transaction_not_settled", path=scope["path"])
        finally:
            await session.close()
            delete_aa_scope_state(scope, scope_key)

    return handler


def request_database(settings: Settings) -> SQLAlchemyAsyncConfig:
    """The database config of an app serving requests: one session per request, settled by
    :func:`settle_transaction`, with the jobs its commit made ready enqueued right after.

    Behind PgBouncer's transaction pooling a statement outside a transaction may be prepared on one
    server connection and executed on another, so reads keep their transaction there (advanced-
    alchemy's own config instead of :class:`RequestSessionConfig`).
    """
    config_type = SQLAlchemyAsyncConfig if settings.database_pgbouncer else RequestSessionConfig
    database = build_alchemy_config(settings, config_type)
    database.before_send_handler = settle_transaction(database)
    return commit_then_enqueue(database)
