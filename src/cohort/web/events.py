"""Events a request recorded leave only after its transaction has committed."""

from __future__ import annotations

from typing import Any, cast

from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig
from advanced_alchemy.extensions.litestar._utils import get_aa_scope_state
from litestar.types import BeforeMessageSendHookHandler, Message, Scope
from sqlalchemy.ext.asyncio import AsyncSession

from cohort.events import EventPublisher

RESPONSE_START = "http.response.start"


def publish_after_commit(
    config: SQLAlchemyAsyncConfig, publisher: EventPublisher
) -> BeforeMessageSendHookHandler:
    """``config``'s commit-or-rollback hook, followed by publishing what the commit let through.

    The response waits for the publish, so a client that got its answer can count on the event
    being on its way; a rolled-back request has nothing to publish.
    """
    commit_or_rollback = cast("Any", config.before_send_handler)

    async def handler(message: Message, scope: Scope) -> None:
        session = cast("AsyncSession | None", get_aa_scope_state(scope, config.session_scope_key))
        await commit_or_rollback(message, scope)
        if session is not None and message["type"] == RESPONSE_START:
            await publisher.publish_committed(session)

    return handler
