"""Authorization matrix for notification preferences, the outbox admin API, unsubscribe and the SAQ UI.

Same callers as ``tests/test_authorization_matrix.py``. Preferences are always the caller's own; the
outbox and the job queues are for admins only (403 for everyone else signed in); unsubscribe links
need no sign-in, and what they do depends on the signed token alone, never on who sends them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from cohort.config import Settings
from cohort.domain.notifications.models import NotificationKind, OutboxState
from cohort.mail import UnsubscribeTokens
from tests.support.matrix import Case, Expect, Ids, check_case, matrix_params, sees, snapshot
from tests.support.notifications import outbox_rows, queue_demo_messages
from tests.support.rest import Client, assert_error
from tests.support.world import CALLERS, World

ADMINS_ONLY = Expect(401, 403, 403, 403, 403, 200, 403)
EVERYONE = Expect(401, 200, 200, 200, 200, 200, 200)


def daily_digest(ids: Ids) -> dict[str, Any]:
    return {"preferences": {"learner_digest": "daily", "submission_reminder": "off"}}


# fmt: off
CASES: list[Case] = [
    # method   path                                          anon lrnr othr mntr inst admn outs
    Case("GET",  "/me/notification-preferences",           EVERYONE),
    Case("PUT",  "/me/notification-preferences",           EVERYONE, body=daily_digest, echoes=False),
    Case("GET",  "/admin/outbox",                          ADMINS_ONLY,
         sees=sees(admin={"pending_message", "failed_message"})),
    Case("GET",  "/admin/outbox/{pending_message}",        ADMINS_ONLY),
    Case("POST", "/admin/outbox/{failed_message}/retry",   ADMINS_ONLY, returns="failed_message"),
]
# fmt: on


@pytest.fixture
async def targets(world: World, db: AsyncSession) -> dict[str, str]:
    learner = world.users["learner"]
    learner.email = "learner@example.org"
    await queue_demo_messages(db, [learner, world.users["mentor"]], datetime(2026, 3, 2, 8, tzinfo=UTC))
    pending, failed = await outbox_rows(db)
    failed.state = OutboxState.FAILED
    failed.last_error = "550 5.1.1 no such mailbox"
    await db.commit()
    return {"pending_message": str(pending.id), "failed_message": str(failed.id)}


@pytest.mark.parametrize(("case", "caller"), matrix_params(CASES))
async def test_notifications_authorization_matrix(
    client: Client, world: World, targets: dict[str, str], engine: AsyncEngine, case: Case, caller: str
) -> None:
    """Status as in the matrix; lists hold exactly what the caller may see; refused writes change nothing."""
    await check_case(client, engine, case, caller, targets, world.headers[caller])


async def test_preferences_are_always_the_callers_own(client: Client, world: World) -> None:
    put = await client.put(
        "/api/v1/me/notification-preferences", json=daily_digest({}), headers=world.headers["learner"]
    )
    assert put.status_code == 200
    mine = {p["kind"]: p["frequency"] for p in put.json()["preferences"]}
    assert mine["learner_digest"] == "daily"
    for other in ("other_learner", "admin"):
        theirs = await client.get("/api/v1/me/notification-preferences", headers=world.headers[other])
        assert {p["kind"]: p["frequency"] for p in theirs.json()["preferences"]}["learner_digest"] == "weekly"


@pytest.mark.parametrize("caller", CALLERS)
async def test_unsubscribe_needs_no_sign_in_and_ignores_who_sends_it(
    client: Client, world: World, settings: Settings, engine: AsyncEngine, caller: str
) -> None:
    """Anyone holding the link may use it (that is what a mail client does); it changes only its owner."""
    token = UnsubscribeTokens(settings.secret_key).sign(
        world.users["learner"].id, NotificationKind.LEARNER_DIGEST
    )
    page = await client.get(f"/unsubscribe/{token}", headers=world.headers[caller])
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    before = await snapshot(engine)
    done = await client.post(
        f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"}, headers=world.headers[caller]
    )
    assert done.status_code == 200
    after = await snapshot(engine)
    changed = set(after) - set(before)
    assert len(changed) == 1
    (row,) = changed
    assert row.startswith("notification_preferences ")
    assert str(world.users["learner"].id) in row
    assert '"frequency": "off"' in row


@pytest.mark.parametrize("caller", CALLERS)
async def test_the_job_queue_ui_is_for_admins_only(client: Client, world: World, caller: str) -> None:
    expected = getattr(ADMINS_ONLY, caller)
    for path in ("/admin/saq/", "/admin/saq/api/queues", "/admin/saq/static/app.js"):
        response = await client.get(path, headers=world.headers[caller])
        assert response.status_code == expected, (path, response.text)
        if expected != 200:
            assert_error(response, expected)
    queues = await client.get("/admin/saq/api/queues", headers=world.headers[caller])
    if expected == 200:
        page = await client.get("/admin/saq/", headers=world.headers[caller])
        assert '<div id="app">' in page.text
        assert 'const root_path = "/admin/saq"' in page.text
        assert [q["name"] for q in queues.json()["queues"]] == [client.app.state["job_queue"].name]
