"""Who is calling the fake: anonymous, a user (OAuth token), an app installation, or the app (JWT)."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError

from tests.support.fake_github.state import FakeApp, FakeInstallation, FakeRepo, GitHubAccount, GitHubData
from tests.support.fake_github.wire import FakeResponse, error

# GitHub refuses app JWTs whose expiry is more than ten minutes away.
MAX_JWT_LIFETIME = 600
CLOCK_LEEWAY = 30


@dataclass(frozen=True)
class Caller:
    user: GitHubAccount | None = None
    installation: FakeInstallation | None = None
    app: FakeApp | None = None

    @property
    def anonymous(self) -> bool:
        return self.user is None and self.installation is None and self.app is None


def identify(
    data: GitHubData, headers: Mapping[str, str], oauth_tokens: Mapping[str, GitHubAccount]
) -> Caller | FakeResponse:
    """The caller, or the 401 GitHub sends for bad credentials (even on public endpoints)."""
    header = headers.get("Authorization") or ""
    if not header:
        return Caller()
    scheme, _, token = header.partition(" ")
    if scheme.lower() not in {"bearer", "token"} or not token:
        return error(401, "Bad credentials")
    if token in oauth_tokens:
        return Caller(user=oauth_tokens[token])
    issued = data.installation_tokens.get(token)
    if issued is not None:
        installation = data.installations.get(issued.installation_id)
        if installation is None or issued.expires_at <= data.clock():
            return error(401, "Bad credentials")
        return Caller(installation=installation)
    if token.count(".") == 2:
        return _app_from_jwt(data, token)
    return error(401, "Bad credentials")


def _app_from_jwt(data: GitHubData, token: str) -> Caller | FakeResponse:
    unverified = _unverified_claims(token)
    app = data.apps.get(_int(unverified.get("iss")))
    if app is None:
        return error(401, "'Issuer' claim ('iss') must be an Integer or the app's client ID")
    try:
        claims = jwt.decode(token, app.public_key, algorithms=["RS256"]).claims
    except (JoseError, ValueError):
        return error(401, "A JSON web token could not be decoded")
    now = data.clock()
    exp, iat = claims.get("exp"), claims.get("iat")
    if not isinstance(exp, int | float) or not isinstance(iat, int | float):
        return error(401, "'Expiration time' claim ('exp') and 'Issued at' claim ('iat') must be numeric")
    if exp <= now:
        return error(
            401,
            "'Expiration time' claim ('exp') must be a numeric value representing the future time at "
            "which the assertion expires",
        )
    if exp > now + MAX_JWT_LIFETIME + CLOCK_LEEWAY or exp - iat > MAX_JWT_LIFETIME:
        return error(401, "'Expiration time' claim ('exp') is too far in the future")
    if iat > now + CLOCK_LEEWAY:
        return error(401, "'Issued at' claim ('iat') must be an Integer representing the time in the past")
    return Caller(app=app)


def _unverified_claims(token: str) -> dict[str, Any]:
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, IndexError):
        return {}
    return claims if isinstance(claims, dict) else {}


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def user_permission(data: GitHubData, repo: FakeRepo, login: str) -> str | None:
    """``admin``/``maintain``/``push``/``triage``/``pull`` for ``login`` on ``repo``, None if no access."""
    wanted = login.lower()
    if repo.owner.lower() == wanted:
        return "admin"
    if wanted in repo.collaborators:
        return repo.collaborators[wanted]
    org = data.orgs.get(repo.owner.lower())
    if org is not None and wanted in org.members:
        return "pull"
    return None


def can_read(data: GitHubData, caller: Caller, repo: FakeRepo) -> bool:
    if not repo.private:
        return True
    if caller.installation is not None:
        return caller.installation.covers(repo)
    return caller.user is not None and user_permission(data, repo, caller.user.login) is not None


def can_write(data: GitHubData, caller: Caller, repo: FakeRepo) -> bool:
    if caller.installation is not None:
        return caller.installation.covers(repo)
    if caller.user is None:
        return False
    return user_permission(data, repo, caller.user.login) in {"push", "maintain", "admin"}
