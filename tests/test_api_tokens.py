"""Personal API tokens over REST (``/api/v1/me/tokens``): issue, list, use, expire and revoke."""

from __future__ import annotations

import dataclasses
import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cohort.app import create_app
from cohort.config import Settings
from cohort.domain.identity.models import ApiToken, User
from tests.support.db import count_rows, run_cli
from tests.support.rest import Client, assert_error
from tests.support.sessions import browser_session
from tests.support.world import bearer, make_user

TOKENS = "/api/v1/me/tokens"


async def signed_up(db: AsyncSession, login: str) -> tuple[User, dict[str, str]]:
    """A committed user and the headers of a browser signed in as them (tokens are created from a
    browser session)."""
    user = await make_user(db, login)
    await db.commit()
    return user, browser_session(user)


async def create_token(client: Client, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    response = await client.post(TOKENS, json={"name": "ci", "expires_in_days": 30, **body}, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def stored(db: AsyncSession, token_id: str) -> ApiToken:
    """The token row as currently committed."""
    token = await db.get(ApiToken, uuid.UUID(token_id), populate_existing=True)
    assert token is not None
    return token


def auth(raw: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw}"}


def assert_unauthenticated(response: httpx.Response) -> None:
    assert_error(response, 401, "not_authenticated")
    assert response.headers["www-authenticate"] == "Bearer"


async def test_create_shows_the_secret_once_and_stores_only_its_hash(
    client: Client, db: AsyncSession
) -> None:
    _, headers = await signed_up(db, "ada")
    before = datetime.now(UTC)

    created = await create_token(client, headers, name="laptop")

    raw = created["token"]
    assert raw.startswith("coh_")
    assert len(raw) > 40
    assert created["name"] == "laptop"
    assert created["token_prefix"] == raw[:12]
    assert created["revoked_at"] is None
    assert created["last_used_at"] is None
    expires_at = datetime.fromisoformat(created["expires_at"])
    assert before + timedelta(days=30) <= expires_at <= datetime.now(UTC) + timedelta(days=30)

    row = await stored(db, created["id"])
    assert row.name == "laptop"
    assert row.token_hash != raw
    assert row.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in {row.token_hash, row.token_prefix, row.name}

    second = await create_token(client, headers, name="laptop")
    assert second["token"] != raw
    assert second["id"] != created["id"]


@pytest.mark.parametrize("days", [None, 367])
async def test_tokens_expire_within_the_maximum_lifetime(
    client: Client, db: AsyncSession, days: int | None
) -> None:
    """``API_TOKEN_MAX_DAYS`` (366 by default): no token lives longer, none lives forever."""
    _, headers = await signed_up(db, "forever")
    before = await count_rows(db, ApiToken)

    response = await client.post(TOKENS, json={"name": "ci", "expires_in_days": days}, headers=headers)

    body = assert_error(response, 422, "rule_violation")
    assert body["extra"] == [{"key": "expires_in_days", "message": "at most 366 days"}]
    assert await count_rows(db, ApiToken) == before
    assert (
        await client.post(TOKENS, json={"name": "ci", "expires_in_days": 366}, headers=headers)
    ).status_code == 201


async def test_token_without_expiry_where_the_maximum_is_lifted(settings: Settings, db: AsyncSession) -> None:
    _, headers = await signed_up(db, "forever")
    app = create_app(dataclasses.replace(settings, api_token_max_days=0))
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        created = await create_token(client, headers, expires_in_days=None)

        assert created["expires_at"] is None
        assert (await stored(db, created["id"])).expires_at is None
        assert (await client.get("/api/v1/me", headers=auth(created["token"]))).status_code == 200


async def test_a_token_cannot_create_tokens(client: Client, db: AsyncSession) -> None:
    """A child token used to outlive its revoked parent: tokens come from browser sessions only."""
    user = await make_user(db, "scripted")
    parent = await bearer(db, user)
    await db.commit()
    before = await count_rows(db, ApiToken)

    response = await client.post(TOKENS, json={"name": "child", "expires_in_days": 30}, headers=parent)

    body = assert_error(response, 403, "permission_denied")
    assert "browser session" in body["detail"]
    assert await count_rows(db, ApiToken) == before
    graphql = await client.post(
        "/graphql",
        json={"query": 'mutation { createApiToken(input: {name: "child"}) { ... on Error { code } } }'},
        headers=parent,
    )
    assert graphql.json() == {"data": {"createApiToken": {"code": "permission_denied"}}}
    assert await count_rows(db, ApiToken) == before


async def test_list_shows_own_tokens_without_secrets(client: Client, db: AsyncSession) -> None:
    user, headers = await signed_up(db, "lister")
    _, other_headers = await signed_up(db, "someone-else")
    created = await create_token(client, headers, name="deploy")
    await create_token(client, other_headers, name="not-mine")

    response = await client.get(TOKENS, headers=headers)

    assert response.status_code == 200
    items = response.json()
    own_ids = {
        str(t.id) for t in (await db.execute(select(ApiToken).where(ApiToken.user_id == user.id))).scalars()
    }
    assert {item["id"] for item in items} == own_ids
    assert len(items) == 1
    listed = next(item for item in items if item["id"] == created["id"])
    assert listed["name"] == "deploy"
    assert listed["token_prefix"] == created["token_prefix"]
    assert all("token" not in item and "token_hash" not in item for item in items)
    assert created["token"] not in response.text
    assert "not-mine" not in response.text


async def test_bearer_token_authenticates_as_its_owner(client: Client, db: AsyncSession) -> None:
    user, headers = await signed_up(db, "owner")
    created = await create_token(client, headers)

    me = await client.get("/api/v1/me", headers=auth(created["token"]))

    assert me.status_code == 200, me.text
    assert (me.json()["id"], me.json()["login"]) == (str(user.id), "owner")


async def test_revoked_token_stops_working(client: Client, db: AsyncSession) -> None:
    _, headers = await signed_up(db, "revoker")
    created = await create_token(client, headers)
    assert (await client.get("/api/v1/me", headers=auth(created["token"]))).status_code == 200

    revoke = await client.delete(f"{TOKENS}/{created['id']}", headers=headers)

    assert revoke.status_code == 204
    assert revoke.content == b""
    assert (await stored(db, created["id"])).revoked_at is not None
    assert_unauthenticated(await client.get("/api/v1/me", headers=auth(created["token"])))
    listed = {item["id"]: item for item in (await client.get(TOKENS, headers=headers)).json()}
    assert listed[created["id"]]["revoked_at"] is not None
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 200, "other tokens still work"


async def test_token_can_revoke_itself(client: Client, db: AsyncSession) -> None:
    _, headers = await signed_up(db, "self-revoker")
    created = await create_token(client, headers)

    revoke = await client.delete(f"{TOKENS}/{created['id']}", headers=auth(created["token"]))

    assert revoke.status_code == 204
    assert_unauthenticated(await client.get(TOKENS, headers=auth(created["token"])))


async def test_cannot_revoke_another_users_token(client: Client, db: AsyncSession) -> None:
    _, alice = await signed_up(db, "alice")
    _, bob = await signed_up(db, "bob")
    bobs = await create_token(client, bob)

    response = await client.delete(f"{TOKENS}/{bobs['id']}", headers=alice)

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert (await stored(db, bobs["id"])).revoked_at is None
    assert (await client.get("/api/v1/me", headers=auth(bobs["token"]))).status_code == 200


async def test_revoking_unknown_token_is_not_found(client: Client, db: AsyncSession) -> None:
    _, headers = await signed_up(db, "nobody-home")

    response = await client.delete(f"{TOKENS}/{uuid.uuid4()}", headers=headers)

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


async def test_expired_token_is_rejected(client: Client, db: AsyncSession) -> None:
    _, headers = await signed_up(db, "expiring")
    created = await create_token(client, headers, expires_in_days=1)
    assert (await client.get("/api/v1/me", headers=auth(created["token"]))).status_code == 200
    row = await stored(db, created["id"])
    row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    await db.commit()

    assert_unauthenticated(await client.get("/api/v1/me", headers=auth(created["token"])))


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param("Basic x", id="basic"),
        pytest.param("Bearer ", id="bearer-empty"),
        pytest.param("Bearer", id="bearer-alone"),
        pytest.param("coh_abc", id="no-scheme"),
    ],
)
async def test_malformed_authorization_header_is_rejected(
    client: Client, db: AsyncSession, authorization: str
) -> None:
    await signed_up(db, "present")

    assert_unauthenticated(await client.get("/api/v1/me", headers={"Authorization": authorization}))


@pytest.mark.parametrize(
    "raw",
    [pytest.param("coh_" + "a" * 43, id="unknown-coh"), pytest.param("ghp_abcdef", id="foreign-prefix")],
)
async def test_unknown_token_is_rejected(client: Client, db: AsyncSession, raw: str) -> None:
    await signed_up(db, "holder")

    assert_unauthenticated(await client.get("/api/v1/me", headers=auth(raw)))


async def test_token_with_altered_secret_is_rejected(client: Client, db: AsyncSession) -> None:
    _, headers = await signed_up(db, "typo")
    raw = (await create_token(client, headers))["token"]
    altered = raw[:-1] + ("A" if raw[-1] != "A" else "B")

    assert_unauthenticated(await client.get("/api/v1/me", headers=auth(altered)))


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"name": "", "expires_in_days": 30}, "name", id="empty-name"),
        pytest.param({"name": "x" * 101, "expires_in_days": 30}, "name", id="long-name"),
        pytest.param({"expires_in_days": 30}, "name", id="missing-name"),
        pytest.param({"name": "ok", "expires_in_days": 0}, "expires_in_days", id="zero-days"),
        pytest.param({"name": "ok", "expires_in_days": 3661}, "expires_in_days", id="too-many-days"),
        pytest.param(
            {"name": "ok", "expires_in_days": 30, "scopes": ["admin"]}, "scopes", id="unknown-field"
        ),
    ],
)
async def test_invalid_create_request_is_rejected(
    client: Client, db: AsyncSession, body: dict[str, Any], field: str
) -> None:
    user, headers = await signed_up(db, "validator")

    response = await client.post(TOKENS, json=body, headers=headers)

    assert response.status_code == 400, response.text
    error = assert_error(response, 400, "invalid_request")
    assert error["extra"], "validation errors must say which field is wrong"
    assert any(e["key"] == field or f"`{field}`" in e["message"] for e in error["extra"]), error["extra"]
    assert all(e["source"] == "body" for e in error["extra"])
    assert await count_rows(db, ApiToken, ApiToken.user_id == user.id) == 0, "nothing was stored"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/me"),
        ("GET", TOKENS),
        ("POST", TOKENS),
        ("DELETE", f"{TOKENS}/{uuid.uuid4()}"),
    ],
)
async def test_anonymous_requests_are_rejected(
    client: Client, db: AsyncSession, method: str, path: str
) -> None:
    body = {"name": "sneaky", "expires_in_days": 1} if method == "POST" else None

    response = await client.request(method, path, json=body)

    assert_unauthenticated(response)
    assert await count_rows(db, ApiToken) == 0


async def test_use_records_last_used_at(client: Client, db: AsyncSession) -> None:
    _, headers = await signed_up(db, "user-of-tokens")
    created = await create_token(client, headers)
    assert (await stored(db, created["id"])).last_used_at is None
    before = datetime.now(UTC)

    assert (await client.get("/api/v1/me", headers=auth(created["token"]))).status_code == 200

    last_used = (await stored(db, created["id"])).last_used_at
    assert last_used is not None
    assert before <= last_used <= datetime.now(UTC)
    listed = {item["id"]: item for item in (await client.get(TOKENS, headers=headers)).json()}
    assert datetime.fromisoformat(listed[created["id"]]["last_used_at"]) == last_used


async def test_live_tokens_are_capped_per_user(client: Client, db: AsyncSession) -> None:
    user, headers = await signed_up(db, "ada")  # a browser session: no live token yet
    now = datetime.now(UTC)
    db.add_all(
        ApiToken(user_id=user.id, name=f"old {i}", token_prefix="coh_x", token_hash=f"h{i}")
        for i in range(49)
    )
    # revoked and expired tokens do not count
    db.add(ApiToken(user_id=user.id, name="gone", token_prefix="coh_x", token_hash="r", revoked_at=now))
    db.add(
        ApiToken(
            user_id=user.id, name="ended", token_prefix="coh_x", token_hash="e", expires_at=now - timedelta(1)
        )
    )
    await db.commit()

    fiftieth = await create_token(client, headers)
    refused = await client.post(TOKENS, json={"name": "one more"}, headers=headers)

    body = assert_error(refused, 422, "rule_violation")
    assert "50 live API tokens" in body["detail"]
    assert "revoke one" in body["detail"]
    assert await count_rows(db, ApiToken, ApiToken.name == "one more") == 0

    revoked = await client.delete(f"{TOKENS}/{fiftieth['id']}", headers=headers)
    assert revoked.status_code == 204, revoked.text
    await create_token(client, headers, name="one more")


async def test_token_create_cli_prints_a_working_token(
    client: Client, db: AsyncSession, database_url: str
) -> None:
    await make_user(db, "lena-learner")
    await db.commit()

    result = run_cli("token", "create", "--login", "Lena-Learner", database_url=database_url)

    assert result.returncode == 0, result.stderr
    raw = result.stdout.strip()
    me = await client.get("/api/v1/me", headers=auth(raw))
    assert me.status_code == 200, me.text
    assert me.json()["login"] == "lena-learner"

    unknown = run_cli("token", "create", "--login", "nobody", database_url=database_url)
    assert unknown.returncode == 1
    assert "no user has signed in with the login 'nobody'" in unknown.stderr
