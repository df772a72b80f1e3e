"""Browser sign-in and sign-out over GitHub OAuth (the session cookie's transport)."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Redirect

from cohort.config import Settings
from cohort.domain.identity.github import GitHubOAuth, GitHubSignInFailed
from cohort.domain.identity.services import UserService
from cohort.errors import NotAuthenticated
from cohort.security.session import new_session, session_credential
from cohort.security.signin import sign_in_with_github
from cohort.web.dependencies import provide_service
from cohort.web.errors import documented_errors

OAUTH_STATE_KEY = "oauth_state"
OAUTH_VERIFIER_KEY = "oauth_verifier"


class GitHubAuthController(Controller):
    """Browser sign-in: redirect to GitHub, come back with a code, leave with a session cookie."""

    path = "/auth"
    tags = ["auth"]
    dependencies = {"user_service": provide_service(UserService)}

    @get("/github/login", summary="Start GitHub sign-in", status_code=302)
    async def login(self, request: Request[Any, Any, Any], settings: NamedDependency[Settings]) -> Redirect:
        state = secrets.token_urlsafe(24)
        verifier = secrets.token_urlsafe(48)  # PKCE (RFC 7636): 64 characters, 288 bits
        request.session[OAUTH_STATE_KEY] = state
        request.session[OAUTH_VERIFIER_KEY] = verifier
        return Redirect(GitHubOAuth(settings).authorization_url(state, verifier))

    @get(
        "/github/callback",
        summary="Finish GitHub sign-in",
        status_code=302,
        responses=documented_errors(401, 502),
    )
    async def callback(
        self,
        request: Request[Any, Any, Any],
        settings: NamedDependency[Settings],
        user_service: NamedDependency[UserService],
        oauth_state: Annotated[str, QueryParameter(name="state", min_length=1, max_length=512)],
        code: Annotated[str | None, QueryParameter(min_length=1, max_length=512)] = None,
        error: Annotated[str | None, QueryParameter(max_length=200)] = None,
    ) -> Redirect:
        expected = request.session.pop(OAUTH_STATE_KEY, None)
        verifier = request.session.pop(OAUTH_VERIFIER_KEY, None)
        if (
            not isinstance(expected, str)
            or not isinstance(verifier, str)
            or not secrets.compare_digest(expected, oauth_state)
        ):
            raise NotAuthenticated("sign-in state mismatch; start again at /auth/github/login")
        if error or not code:
            # a fixed message: the query string is the visitor's (or an attacker's), never echoed
            raise GitHubSignInFailed("GitHub sign-in did not complete; start again at /auth/github/login")
        profile = await GitHubOAuth(settings).fetch_profile(code, verifier)
        user = await sign_in_with_github(user_service, profile)
        request.clear_session()
        request.set_session(new_session(user.id, user.session_epoch))
        return Redirect(settings.post_login_redirect)

    @post(
        "/logout",
        summary="Sign out: end every browser session of this account",
        description="The cookie is cleared and stops counting on the server too, as do the "
        "account's other browser sessions (sign-in is shared by every browser of an account). "
        "API tokens are not affected.",
        status_code=204,
    )
    async def logout(
        self, request: Request[Any, Any, Any], user_service: NamedDependency[UserService]
    ) -> None:
        credential = session_credential(request)
        if credential is not None:
            await user_service.sign_out(credential.user_id, credential.epoch)
        request.clear_session()
