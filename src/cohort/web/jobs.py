"""The API's side of background jobs: one queue per running app, and enqueue-after-commit for requests.

Services buffer jobs on their session (:func:`cohort.after_commit.enqueue_after_commit`); the
before-send hook here commits or rolls back the request's transaction exactly as before (commit on
2xx and 3xx) and then enqueues what that commit made ready. A rolled-back request enqueues nothing.
"""

from __future__ import annotations

import inspect
from typing import Any, cast

from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig
from advanced_alchemy.extensions.litestar._utils import get_aa_scope_state
from litestar import Litestar
from litestar.datastructures import State
from litestar.types import Message, Scope
from saq import Queue

from cohort.after_commit import flush_committed
from cohort.config import Settings
from cohort.job_context import build_queue

QUEUE_STATE_KEY = "job_queue"


def job_queue(state: State) -> Queue:
    """The app's queue (connected while the app runs)."""
    return cast("Queue", state[QUEUE_STATE_KEY])


def commit_then_enqueue(database: SQLAlchemyAsyncConfig) -> SQLAlchemyAsyncConfig:
    """``database`` with its before-send hook extended: settle the transaction, then enqueue.

    The hook it already has (commit on 2xx and 3xx, else roll back; then close) runs unchanged; the
    jobs its commit made ready are enqueued right after, before the response leaves.
    """
    settle = database.before_send_handler
    assert callable(settle), "build_alchemy_config sets a commit handler"
    scope_key = database.session_scope_key  # unique per config, so read it from this one

    async def handler(message: Message, scope: Scope) -> None:
        session = get_aa_scope_state(scope, scope_key)  # read now: settling forgets it
        settled = settle(message, scope)
        if inspect.isawaitable(settled):
            await settled
        if session is not None and message["type"] == "http.response.start":
            await flush_committed(session, job_queue(scope["app"].state))

    database.before_send_handler = handler
    return database


def queue_lifespan(settings: Settings) -> tuple[Any, Any]:
    """``on_startup`` / ``on_shutdown`` hooks that open and close the app's queue."""

    async def open_queue(app: Litestar) -> None:
        queue = build_queue(settings)
        await queue.connect()
        app.state[QUEUE_STATE_KEY] = queue

    async def close_queue(app: Litestar) -> None:
        queue = app.state.pop(QUEUE_STATE_KEY, None)
        if queue is not None:
            await queue.disconnect()

    return open_queue, close_queue
