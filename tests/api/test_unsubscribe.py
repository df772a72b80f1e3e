"""One-click unsubscribe (RFC 8058): a confirmation page, an idempotent POST, refusals that leak nothing."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from cohort.config import Settings
from cohort.domain.notifications.models import NotificationKind
from cohort.mail import UnsubscribeTokens
from tests.support.matrix import snapshot
from tests.support.rest import Client
from tests.support.world import World

ONE_CLICK = {"List-Unsubscribe": "One-Click"}


def token_for(settings: Settings, user_id: UUID, kind: str = NotificationKind.LEARNER_DIGEST) -> str:
    return UnsubscribeTokens(settings.secret_key).sign(user_id, kind)


async def test_the_link_shows_a_confirmation_page_and_changes_nothing(
    client: Client, world: World, settings: Settings, engine: AsyncEngine
) -> None:
    before = await snapshot(engine)
    page = await client.get(f"/unsubscribe/{token_for(settings, world.users['learner'].id)}")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-store"
    assert "Stop receiving your learning digest by email?" in page.text
    assert '<form method="post">' in page.text
    assert '<input type="hidden" name="List-Unsubscribe" value="One-Click">' in page.text
    assert await snapshot(engine) == before


async def test_one_click_unsubscribes_and_a_second_click_is_harmless(
    client: Client, world: World, settings: Settings, engine: AsyncEngine
) -> None:
    url = f"/unsubscribe/{token_for(settings, world.users['learner'].id)}"
    first = await client.post(url, data=ONE_CLICK)
    assert first.status_code == 200
    assert "You will no longer receive your learning digest by email." in first.text
    after_first = await snapshot(engine)
    second = await client.post(url, data=ONE_CLICK)
    assert second.status_code == 200
    assert await snapshot(engine) == after_first
    prefs = await client.get("/api/v1/me/notification-preferences", headers=world.headers["learner"])
    by_kind = {p["kind"]: p["frequency"] for p in prefs.json()["preferences"]}
    assert by_kind == {
        "learner_digest": "off",
        "mentor_digest": "weekly",
        "submission_reminder": "immediately",
        "review_reminder": "immediately",
    }


async def test_a_multipart_one_click_body_is_accepted(
    client: Client, world: World, settings: Settings
) -> None:
    url = f"/unsubscribe/{token_for(settings, world.users['learner'].id)}"
    response = await client.post(url, files={"List-Unsubscribe": (None, "One-Click")})
    assert response.status_code == 200


@pytest.mark.parametrize("body", [None, {"List-Unsubscribe": "yes"}, {"other": "One-Click"}])
async def test_a_post_without_the_one_click_body_changes_nothing(
    client: Client, world: World, settings: Settings, engine: AsyncEngine, body: dict[str, str] | None
) -> None:
    before = await snapshot(engine)
    response = await client.post(f"/unsubscribe/{token_for(settings, world.users['learner'].id)}", data=body)
    assert response.status_code == 400
    assert await snapshot(engine) == before


def altered(token: str) -> str:
    last = token[-1]
    return token[:-1] + ("A" if last != "A" else "B")


@pytest.mark.parametrize(
    ("make", "status"),
    [
        pytest.param(lambda s, w: "nonsense", 400, id="malformed"),
        pytest.param(lambda s, w: altered(token_for(s, w.users["learner"].id)), 400, id="altered-signature"),
        pytest.param(
            lambda s, w: UnsubscribeTokens("another-secret-" + "y" * 32).sign(
                w.users["learner"].id, "learner_digest"
            ),
            400,
            id="signed-elsewhere",
        ),
        pytest.param(lambda s, w: token_for(s, uuid4()), 404, id="unknown-user"),
        pytest.param(lambda s, w: token_for(s, w.users["learner"].id, "newsletter"), 404, id="unknown-kind"),
    ],
)
async def test_bad_links_are_refused_clearly_without_leaking_anything(
    client: Client, world: World, settings: Settings, engine: AsyncEngine, make: object, status: int
) -> None:
    token = make(settings, world)  # type: ignore[operator]
    before = await snapshot(engine)
    for response in (
        await client.get(f"/unsubscribe/{token}"),
        await client.post(f"/unsubscribe/{token}", data=ONE_CLICK),
    ):
        assert response.status_code == status
        assert response.headers["content-type"].startswith("text/html")
        for secret in (str(world.users["learner"].id), world.users["learner"].login, "Traceback"):
            assert secret not in response.text
    assert await snapshot(engine) == before
