"""Cross-site request forgery: writes that ride on the session cookie must come from our own pages.

The session cookie is ``SameSite=Lax``, which keeps it off cross-*site* POSTs but not off requests
from another port or subdomain of the same site, and a form or ``fetch(..., {mode: "no-cors"})``
needs no CORS preflight. So a write (POST, PUT, PATCH, DELETE) whose only credential is the
session cookie is accepted only when the browser says where it comes from and that is trusted:
``Sec-Fetch-Site: same-origin``, or an ``Origin`` that is this server's own (its ``Host``), the
public base URL's, or one of ``CORS_ALLOW_ORIGINS``. Browsers send ``Origin`` with every such
request, so a request that carries neither header is refused too.

Requests with an ``Authorization`` header are not affected: a page on another origin cannot add
that header without a CORS preflight this server does not grant, and with it the cookie is ignored.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from litestar.datastructures import Headers
from litestar.types import Scope

from cohort.errors import PermissionDenied
from cohort.security.session import SESSION_USER_KEY

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class CrossSiteRequestRefused(PermissionDenied):
    code = "cross_site_request"


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of a URL, lower-cased (how browsers serialise ``Origin``)."""
    parts = urlsplit(url.strip())
    return f"{parts.scheme}://{parts.netloc}".lower()


class CrossSiteWriteGuard:
    """Refuse cookie-authenticated writes from other origins (see the module docstring).

    Called for every write after the session middleware, so the session the request carries is
    already decoded (:class:`cohort.web.write_guards.WriteGuards`).
    """

    def __init__(self, trusted_origins: Iterable[str]) -> None:
        self.trusted_origins = frozenset(origin_of(o) for o in trusted_origins)

    def check(self, scope: Scope) -> None:
        headers = Headers.from_scope(scope)
        if _rides_on_the_cookie(scope, headers) and not self._from_a_trusted_page(headers):
            raise CrossSiteRequestRefused(
                "this request carries the session cookie but does not come from a trusted page; "
                "browsers send Origin with writes, and scripts use 'Authorization: Bearer <token>'"
            )

    def _from_a_trusted_page(self, headers: Headers) -> bool:
        if headers.get("sec-fetch-site") == "same-origin":
            return True
        origin = headers.get("origin")
        if not origin or origin == "null":
            return False
        origin = origin.lower()
        host = headers.get("host", "").lower()
        return origin in self.trusted_origins or (bool(host) and urlsplit(origin).netloc == host)


def _rides_on_the_cookie(scope: Scope, headers: Headers) -> bool:
    """The session cookie is what would authenticate this request (and no ``Authorization``)."""
    if "authorization" in headers:
        return False
    session = scope.get("session")
    return isinstance(session, dict) and bool(session.get(SESSION_USER_KEY))
