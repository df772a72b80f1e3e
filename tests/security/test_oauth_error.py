"""The OAuth ``error`` parameter is the visitor's input: the answer never repeats it."""

from __future__ import annotations

import pytest

from tests.support.fake_github import FakeGitHub
from tests.support.rest import Client, assert_error
from tests.support.signin import start_login


@pytest.mark.parametrize(
    "error",
    ["access_denied", "<script>alert(1)</script>", "Your account is locked: call +1 555 0100 now"],
)
async def test_the_error_parameter_is_not_reflected(
    client: Client, fake_github: FakeGitHub, error: str
) -> None:
    state = await start_login(client)
    response = await client.get(
        "/auth/github/callback",
        params={"error": error, "error_description": error, "state": state},
        follow_redirects=False,
    )
    body = assert_error(response, 400, "github_sign_in_failed")
    assert body["detail"] == "GitHub sign-in did not complete; start again at /auth/github/login"
    assert error not in response.text
