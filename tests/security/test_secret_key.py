"""Session cookies cannot be forged with a published key: outside development and test the app
refuses to start without a strong, unpublished ``SECRET_KEY``, and an unknown ``COHORT_ENV`` is
refused rather than treated as development."""

from __future__ import annotations

import dataclasses

import pytest
from litestar.testing import AsyncTestClient

from cohort.app import create_app
from cohort.config import DEV_SECRET_KEY, PUBLISHED_SECRET_KEYS, Settings
from cohort.worker import run_worker
from tests.support.rest import assert_error
from tests.support.sessions import forge_session_cookie
from tests.support.world import World

STRONG_KEY = "kX3v9Qm2LrT8wZp1Yb6Nc4Hd7Jf0Gs5Ae2Ui8Oo3Pq"
COMPOSE_FALLBACK = "change-me-to-a-long-random-string-0123456789"
WEAK_KEYS = [*sorted(PUBLISHED_SECRET_KEYS), "x" * 48, "short"]


@pytest.mark.parametrize("environment", ["production", "staging", "prod", "Development", ""])
@pytest.mark.parametrize("secret_key", WEAK_KEYS)
def test_no_start_outside_development_with_a_known_or_weak_key(
    settings: Settings, environment: str, secret_key: str
) -> None:
    with pytest.raises(RuntimeError, match=r"SECRET_KEY|COHORT_ENV"):
        create_app(dataclasses.replace(settings, environment=environment, secret_key=secret_key))


@pytest.mark.parametrize("environment", ["staging", "prod", "Development", "dev", ""])
def test_unknown_environments_are_refused_with_any_key(settings: Settings, environment: str) -> None:
    with pytest.raises(RuntimeError, match="COHORT_ENV must be one of"):
        create_app(dataclasses.replace(settings, environment=environment, secret_key=STRONG_KEY))


def test_unset_environment_means_production(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Docker image sets neither variable: that is production with the development key, refused."""
    monkeypatch.delenv("COHORT_ENV", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    settings = Settings.from_env()
    assert settings.environment == "production"
    with pytest.raises(RuntimeError, match="SECRET_KEY must be a strong random value"):
        settings.validate()
    monkeypatch.setenv("SECRET_KEY", COMPOSE_FALLBACK)
    with pytest.raises(RuntimeError, match="SECRET_KEY must be a strong random value"):
        Settings.from_env().validate()


async def test_the_worker_refuses_too(settings: Settings) -> None:
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        await run_worker(dataclasses.replace(settings, environment="production", secret_key=DEV_SECRET_KEY))


@pytest.mark.parametrize("environment", ["development", "test"])
def test_development_and_test_may_use_the_development_key(settings: Settings, environment: str) -> None:
    create_app(dataclasses.replace(settings, environment=environment, secret_key=DEV_SECRET_KEY))


async def test_a_cookie_forged_with_the_dev_key_signs_nobody_in(settings: Settings, world: World) -> None:
    """The attack: a cookie for the admin's id, signed with the published key. A development app
    takes it (that is what the key is for); a production app with its own key does not."""
    admin = world.users["admin"]
    forged = forge_session_cookie(DEV_SECRET_KEY, {"uid": str(admin.id)})
    production = dataclasses.replace(settings, environment="production", secret_key=STRONG_KEY)
    app = create_app(production)
    async with AsyncTestClient(app=app, base_url="https://testserver.local") as client:
        for name in ("cohort_session", "__Host-cohort_session"):
            client.cookies.set(name, forged)
            assert_error(await client.get("/api/v1/me"), 401, "not_authenticated")
            client.cookies.clear()
