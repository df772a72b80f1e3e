"""Fixtures for the GitHub client tests: the shared fake GitHub on a manual clock, an app key pair
generated for this run, and clients wired to both."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from cohort.github import GitHubAppAuth, GitHubClient, RetryPolicy, TokenProvider
from tests.support.classroom import KeyPair, generate_key_pair
from tests.support.fake_github import FakeGitHub, ManualClock

APP_ID = 4242


@pytest.fixture(scope="session")
def app_keys() -> KeyPair:
    """The app's key pair, made for this run only: no private key is ever committed."""
    return generate_key_pair()


@pytest.fixture
def clock(fake_github: FakeGitHub) -> ManualClock:
    """One clock for the fake and the clients; client waits advance it instead of sleeping."""
    manual = ManualClock(start=1_700_000_000.0)
    fake_github.clock = manual
    return manual


@pytest.fixture
def github(fake_github: FakeGitHub, clock: ManualClock) -> FakeGitHub:
    """The fake with an empty world on the manual clock (the shared fixture resets it after each test)."""
    return fake_github


ClientFactory = Callable[..., GitHubClient]


@pytest.fixture
async def make_client(github: FakeGitHub, clock: ManualClock) -> AsyncIterator[ClientFactory]:
    """``make_client(token_provider=None, **policy)``: a client on the fake, waits recorded by the clock."""
    made: list[GitHubClient] = []

    def factory(token_provider: TokenProvider | None = None, **policy: Any) -> GitHubClient:
        client = GitHubClient(
            base_url=github.base_url,
            token_provider=token_provider,
            retry=RetryPolicy(**policy),
            sleep=clock.sleep,
            clock=clock,
            jitter=lambda: 0.5,
        )
        made.append(client)
        return client

    yield factory
    for client in made:
        await client.aclose()


@pytest.fixture
async def app_auth(
    github: FakeGitHub, clock: ManualClock, app_keys: KeyPair, make_client: ClientFactory
) -> GitHubAppAuth:
    """The app registered on the fake with this run's public key, authenticating with the private key."""
    github.add_app(APP_ID, app_keys.public_pem)
    return GitHubAppAuth(APP_ID, app_keys.private_pem, client=make_client(), clock=clock)
