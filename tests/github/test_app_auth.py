"""GitHub App authentication: the app JWT, installation tokens and their cache, settings."""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from joserfc import jwt
from joserfc.errors import BadSignatureError
from joserfc.jwk import RSAKey

from cohort.config import Settings
from cohort.github import (
    AppJwtSigner,
    GitHubAppAuth,
    GitHubAppNotConfigured,
    GitHubForbidden,
    GitHubNotFound,
)
from tests.github.conftest import APP_ID, ClientFactory, KeyPair, generate_key_pair
from tests.support.fake_github import FakeGitHub, ManualClock

TOKENS_PATH = "/app/installations/{}/access_tokens"


def b64json(segment: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


# -- the app JWT -----------------------------------------------------------------------------------


def test_app_jwt_claims_and_rs256_signature_verify_with_the_public_key(app_keys: KeyPair) -> None:
    now = 1_700_000_000
    token = AppJwtSigner(APP_ID, app_keys.private_pem, clock=lambda: now).token()

    header_b64, claims_b64, signature_b64 = token.split(".")
    assert b64json(header_b64) == {"typ": "JWT", "alg": "RS256"}
    claims = b64json(claims_b64)
    assert claims == {"iat": now - 60, "exp": now + 540, "iss": APP_ID}
    assert claims["exp"] - claims["iat"] <= 600

    # verified independently of the library that signed it
    signature = base64.urlsafe_b64decode(signature_b64 + "=" * (-len(signature_b64) % 4))
    public_key = app_keys.private_key.public_key()
    public_key.verify(signature, f"{header_b64}.{claims_b64}".encode(), padding.PKCS1v15(), hashes.SHA256())
    with pytest.raises(InvalidSignature):
        public_key.verify(
            signature, f"{header_b64}.{claims_b64}x".encode(), padding.PKCS1v15(), hashes.SHA256()
        )
    assert jwt.decode(token, RSAKey.import_key(app_keys.public_pem), algorithms=["RS256"]).claims == claims


def test_app_jwt_does_not_verify_with_another_key(app_keys: KeyPair) -> None:
    token = AppJwtSigner(APP_ID, app_keys.private_pem).token()
    other = RSAKey.import_key(generate_key_pair().public_pem)
    with pytest.raises(BadSignatureError):
        jwt.decode(token, other, algorithms=["RS256"])


def test_app_jwt_is_reused_briefly_then_signed_again(app_keys: KeyPair) -> None:
    clock = ManualClock(start=1_700_000_000)
    signer = AppJwtSigner(APP_ID, app_keys.private_pem, clock=clock)
    first = signer.token()
    clock.advance(470)
    assert signer.token() == first  # still more than a minute before exp
    clock.advance(20)
    renewed = signer.token()
    assert renewed != first
    assert b64json(renewed.split(".")[1])["iat"] == int(clock.now) - 60


def test_a_client_id_is_used_as_issuer_verbatim(app_keys: KeyPair) -> None:
    token = AppJwtSigner("Iv23liABCDEF", app_keys.private_pem, clock=lambda: 1_700_000_000).token()
    assert b64json(token.split(".")[1])["iss"] == "Iv23liABCDEF"


@pytest.mark.parametrize(
    ("app_id", "key", "message"),
    [
        ("", "private", "GITHUB_APP_ID"),
        ("42", "garbage", "not an RSA key"),
        ("42", "public", "public key"),
    ],
)
def test_signer_refuses_unusable_configuration(
    app_keys: KeyPair, app_id: str, key: str, message: str
) -> None:
    pem = {"private": app_keys.private_pem, "public": app_keys.public_pem, "garbage": "not a key"}[key]
    with pytest.raises(GitHubAppNotConfigured, match=message) as caught:
        AppJwtSigner(app_id, pem)
    assert (caught.value.status_code, caught.value.code) == (503, "github_app_not_configured")


def test_from_settings_requires_the_app_settings() -> None:
    with pytest.raises(GitHubAppNotConfigured):
        GitHubAppAuth.from_settings(Settings(github_app_id="42"))


# -- the fake checks app JWTs as GitHub does -------------------------------------------------------


async def test_fake_refuses_a_jwt_signed_with_another_key(
    github: FakeGitHub, app_keys: KeyPair, make_client: ClientFactory, clock: ManualClock
) -> None:
    github.add_app(APP_ID, app_keys.public_pem)
    installation = github.add_installation("acme", app_id=APP_ID)
    impostor = GitHubAppAuth(APP_ID, generate_key_pair().private_pem, client=make_client(), clock=clock)

    with pytest.raises(GitHubForbidden, match="could not be decoded"):
        await impostor.installation_token(installation.id)


async def test_fake_refuses_an_expired_or_too_long_jwt(
    github: FakeGitHub, app_keys: KeyPair, make_client: ClientFactory, clock: ManualClock
) -> None:
    github.add_app(APP_ID, app_keys.public_pem)
    installation = github.add_installation("acme", app_id=APP_ID)
    stale_clock = ManualClock(start=clock.now - 900)  # our clock 15 minutes behind GitHub's
    stale = GitHubAppAuth(APP_ID, app_keys.private_pem, client=make_client(), clock=stale_clock)
    with pytest.raises(GitHubForbidden, match="exp"):
        await stale.installation_token(installation.id)

    key = RSAKey.import_key(app_keys.private_pem)
    now = int(clock.now)
    too_long = jwt.encode({"alg": "RS256"}, {"iat": now - 60, "exp": now + 1200, "iss": APP_ID}, key)
    async with make_client().with_token_provider(_Bearer(too_long)) as client:
        with pytest.raises(GitHubForbidden, match="too far in the future"):
            await client.create_installation_token(installation.id)


class _Bearer:
    def __init__(self, token: str) -> None:
        self.token = token

    async def authorization(self) -> str | None:
        return f"Bearer {self.token}"

    async def invalidate(self) -> bool:
        return False


# -- installation tokens ---------------------------------------------------------------------------


async def test_installation_token_is_cached_until_five_minutes_before_expiry(
    github: FakeGitHub, app_auth: GitHubAppAuth, clock: ManualClock
) -> None:
    installation = github.add_installation("acme", app_id=APP_ID)
    path = TOKENS_PATH.format(installation.id)

    first = await app_auth.installation_token(installation.id)
    assert first.expires_at.timestamp() == clock.now + 3600
    assert await app_auth.installation_token(installation.id) == first

    clock.advance(3600 - 301)
    assert (await app_auth.installation_token(installation.id)).token == first.token
    assert github.count("POST", path) == 1

    clock.advance(2)  # now inside the five-minute margin
    second = await app_auth.installation_token(installation.id)
    assert second.token != first.token
    assert github.count("POST", path) == 2


async def test_concurrent_callers_share_one_token_refresh(
    github: FakeGitHub, app_auth: GitHubAppAuth
) -> None:
    installation = github.add_installation("acme", app_id=APP_ID)
    github.add_repo("acme", "site")
    client = app_auth.installation_client(installation.id)

    tokens = await asyncio.gather(*(app_auth.installation_token(installation.id) for _ in range(20)))
    repos = await asyncio.gather(*(client.get_repo("acme", "site") for _ in range(10)))

    assert len({t.token for t in tokens}) == 1
    assert {r.full_name for r in repos} == {"acme/site"}
    assert github.count("POST", TOKENS_PATH.format(installation.id)) == 1


async def test_installations_have_separate_tokens(github: FakeGitHub, app_auth: GitHubAppAuth) -> None:
    acme = github.add_installation("acme", app_id=APP_ID)
    umbrella = github.add_installation("umbrella", app_id=APP_ID)

    a, b = await asyncio.gather(
        app_auth.installation_token(acme.id), app_auth.installation_token(umbrella.id)
    )

    assert a.token != b.token
    assert github.installation_tokens[a.token].installation_id == acme.id


async def test_a_revoked_installation_token_is_replaced_once(
    github: FakeGitHub, app_auth: GitHubAppAuth
) -> None:
    installation = github.add_installation("acme", app_id=APP_ID)
    github.add_repo("acme", "site")
    client = app_auth.installation_client(installation.id)
    await client.get_repo("acme", "site")

    github.installation_tokens.clear()  # revoked on GitHub's side
    repo = await client.get_repo("acme", "site")

    assert repo.private
    assert github.count("POST", TOKENS_PATH.format(installation.id)) == 2
    assert github.count("GET", "/repos/acme/site") == 3


async def test_find_installation_for_org(github: FakeGitHub, app_auth: GitHubAppAuth) -> None:
    installation = github.add_installation("cohort-2026", app_id=APP_ID)
    github.add_installation("other-app-org", app_id=APP_ID + 1)

    found = await app_auth.find_installation_for_org("Cohort-2026")

    assert (found.id, found.account.login, found.app_id) == (installation.id, "cohort-2026", APP_ID)
    with pytest.raises(GitHubNotFound):
        await app_auth.find_installation_for_org("other-app-org")


async def test_installation_endpoints_refuse_an_installation_token(
    github: FakeGitHub, app_auth: GitHubAppAuth
) -> None:
    installation = github.add_installation("acme", app_id=APP_ID)
    client = app_auth.installation_client(installation.id)
    with pytest.raises(GitHubForbidden):
        await client.get_org_installation("acme")


# -- settings --------------------------------------------------------------------------------------

APP_ENV = ("GITHUB_APP_ID", "GITHUB_APP_PRIVATE_KEY", "GITHUB_APP_PRIVATE_KEY_PATH", "GITHUB_WEBHOOK_SECRET")


@pytest.fixture
def app_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in APP_ENV:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_settings_default_to_no_app(app_env: pytest.MonkeyPatch) -> None:
    settings = Settings.from_env()
    assert (settings.github_app_id, settings.github_app_private_key, settings.github_webhook_secret) == (
        "",
        "",
        "",
    )


def test_settings_read_the_app_from_the_environment(app_env: pytest.MonkeyPatch, app_keys: KeyPair) -> None:
    app_env.setenv("GITHUB_APP_ID", "1234")
    app_env.setenv("GITHUB_APP_PRIVATE_KEY", app_keys.private_pem.replace("\n", "\\n"))  # one-line .env form
    app_env.setenv("GITHUB_WEBHOOK_SECRET", "hook-secret")

    settings = Settings.from_env()

    assert settings.github_app_id == "1234"
    assert settings.github_app_private_key == app_keys.private_pem
    assert settings.github_webhook_secret == "hook-secret"
    assert AppJwtSigner(settings.github_app_id, settings.github_app_private_key).token().count(".") == 2


def test_settings_read_the_private_key_from_a_file(
    app_env: pytest.MonkeyPatch, app_keys: KeyPair, tmp_path: Path
) -> None:
    key_file = tmp_path / "app.pem"
    key_file.write_text(app_keys.private_pem)
    app_env.setenv("GITHUB_APP_PRIVATE_KEY_PATH", str(key_file))

    assert Settings.from_env().github_app_private_key == app_keys.private_pem
