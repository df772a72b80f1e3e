"""Cookie-authenticated mutations cannot be forged from another site.

A page elsewhere can make the browser send the session cookie with a form post (bodies
``application/x-www-form-urlencoded``, ``multipart/form-data`` or ``text/plain``) or a GET; it
cannot send ``application/json`` without a CORS preflight this API does not grant. So POST bodies
must be JSON, and GET runs queries only.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support.db import snapshot
from tests.support.fake_github import FakeGitHub, GitHubAccount
from tests.support.graphql import ENDPOINT, gid
from tests.support.rest import Client, assert_error
from tests.support.signin import sign_in
from tests.support.world import World

RENAME = 'mutation { updateProfile(input: {name: "Forged"}) { __typename } }'
RENAME_COHORT = 'mutation($id: ID!) { updateCohort(input: {id: $id, name: "Renamed"}) { __typename } }'


@pytest.fixture
async def signed_in(client: Client, world: World, fake_github: FakeGitHub) -> Client:
    """The test client holding the instructor's session cookie (no Authorization header)."""
    user = world.users["instructor"]
    assert user.github_id is not None
    response = await sign_in(client, fake_github, GitHubAccount(id=user.github_id, login=user.login))
    assert response.status_code in (302, 307)
    return client


@pytest.mark.parametrize(
    ("content_type", "content"),
    [
        pytest.param("text/plain", json.dumps({"query": RENAME}), id="text/plain"),
        pytest.param("application/x-www-form-urlencoded", f"query={RENAME}", id="form"),
        pytest.param(
            "multipart/form-data; boundary=x",
            f'--x\r\nContent-Disposition: form-data; name="query"\r\n\r\n{RENAME}\r\n--x--',
            id="multipart",
        ),
        pytest.param("", json.dumps({"query": RENAME}), id="no content type"),
    ],
)
async def test_cross_site_form_posts_are_refused(
    signed_in: Client, engine: AsyncEngine, content_type: str, content: str
) -> None:
    """Refused for the body alone: even with a trusted Origin (a cross-site one is refused earlier,
    see tests/security/test_csrf.py), only JSON bodies run."""
    before = await snapshot(engine)
    headers = {"Origin": "http://testserver.local"}
    if content_type:
        headers["Content-Type"] = content_type
    response = await signed_in.post(ENDPOINT, content=content.encode(), headers=headers)
    body = assert_error(response, 415, "unsupported_media_type")
    assert "application/json" in body["detail"]
    assert await snapshot(engine) == before


async def test_get_never_runs_mutations(signed_in: Client, engine: AsyncEngine) -> None:
    before = await snapshot(engine)
    response = await signed_in.get(ENDPOINT, params={"query": RENAME})
    assert response.status_code == 400
    assert "mutations are not allowed when using GET" in response.text
    assert await snapshot(engine) == before


async def test_get_runs_queries(signed_in: Client, world: World) -> None:
    response = await signed_in.get(ENDPOINT, params={"query": "{ me { user { login } } }"})
    assert response.json() == {"data": {"me": {"user": {"login": "instructor"}}}}


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8"])
async def test_json_posts_with_the_cookie_run_mutations(
    signed_in: Client, world: World, content_type: str
) -> None:
    response = await signed_in.post(
        ENDPOINT,
        content=json.dumps(
            {
                "query": RENAME_COHORT,
                "variables": {"id": gid("Cohort", world.cohort_a.id)},
            }
        ).encode(),
        headers={"Content-Type": content_type, "Origin": "http://testserver.local"},
    )
    assert response.json() == {"data": {"updateCohort": {"__typename": "CohortPayload"}}}


async def test_bad_credentials_are_refused_and_absent_ones_are_anonymous(client: Client) -> None:
    """A wrong token is an error of the request (401, as on REST); no token is an anonymous caller
    whose every field answers not_authenticated."""
    refused = await client.post(
        ENDPOINT, json={"query": "{ me { email } }"}, headers={"Authorization": "Bearer coh_wrong"}
    )
    assert_error(refused, 401, "not_authenticated")
    anonymous = await client.post(ENDPOINT, json={"query": "{ me { email } }"})
    body = anonymous.json()
    assert body["data"] == {"me": None}
    assert [e["extensions"]["code"] for e in body["errors"]] == ["not_authenticated"]
