"""The API's side of background jobs: one queue per running app, and enqueue-after-commit for requests.

Services buffer jobs on their session (:func:`cohort.after_commit.enqueue_after_commit`); the
before-send hook here commits or rolls back the request's transaction exactly as before (commit on
2xx and 3xx) and then enqueues what that commit made ready. A rolled-back request enqueues nothing.
"""

from __future__ import annotations

from typing import Any, cast

from advanced_alchemy.extensions.litestar._utils import get_aa_scope_state
from advanced_alchemy.extensions.litestar.plugins.init.config.asyncio import autocommit_handler_maker
from advanced_alchemy.extensions.litestar.plugins.init.config.common import SESSION_SCOPE_KEY
from litestar import Litestar
from litestar.datastructures import State
from litestar.types import BeforeMessageSendHookHandler, Message, Scope
from saq import Queue

from cohort.after_commit import flush_committed
from cohort.config import Settings
from cohort.job_context import build_queue

QUEUE_STATE_KEY = "job_queue"


def job_queue(state: State) -> Queue:
    """The app's queue (connected while the app runs)."""
    return cast("Queue", state[QUEUE_STATE_KEY])


def commit_then_enqueue() -> BeforeMessageSendHookHandler:
    """advanced-alchemy's commit-on-2xx/3xx handler, followed by enqueueing the committed jobs."""
    settle = autocommit_handler_maker(commit_on_redirect=True, session_scope_key=SESSION_SCOPE_KEY)

    async def handler(message: Message, scope: Scope) -> None:
        session = get_aa_scope_state(scope, SESSION_SCOPE_KEY)  # read now: settling forgets it
        await settle(message, scope)
        if session is not None and message["type"] == "http.response.start":
            await flush_committed(session, job_queue(scope["app"].state))

    return handler


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
