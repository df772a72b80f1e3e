"""Security headers on every response, errors and 404s included (an app-level ``before_send`` hook,
which sees every message the app sends).

- ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy: no-referrer`` (the OAuth callback URL
  carries a code; nothing here needs to tell other sites where a visitor came from);
- no framing (``X-Frame-Options: DENY`` and CSP ``frame-ancestors 'none'``): clickjacking;
- JSON: ``Content-Security-Policy: default-src 'none'`` (a JSON answer never runs anything);
- ``Cache-Control``, unless the handler (or :mod:`cohort.web.caching`) chose a policy:
  ``private, no-store`` on anything answered to a caller who sent credentials, ``no-store`` on
  other JSON, so answers for a signed-in caller are kept by neither browsers nor shared caches;
- the API docs page gets a CSP naming exactly what it loads;
- ``Strict-Transport-Security`` when the request came over HTTPS, or, outside development and
  test, when the public address is HTTPS (a TLS-terminating proxy in front).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

from cohort.config import Settings
from cohort.web.caching import PRIVATE, authenticated

DOCS_PREFIX = "/docs"
HSTS = "max-age=63072000; includeSubDomains"
NO_FRAMING = "frame-ancestors 'none'"
JSON_CSP = f"default-src 'none'; {NO_FRAMING}"
DOCS_ASSET_ORIGINS = "https://cdn.jsdelivr.net"
"""Where the documentation renderers load their scripts and styles from."""
DOCS_CSP = "; ".join(
    [
        "default-src 'self'",
        # Swagger UI starts from an inline script holding the schema
        f"script-src 'self' 'unsafe-inline' {DOCS_ASSET_ORIGINS}",
        f"style-src 'self' 'unsafe-inline' {DOCS_ASSET_ORIGINS} https://fonts.scalar.com",
        f"font-src 'self' data: {DOCS_ASSET_ORIGINS} https://fonts.scalar.com",
        f"img-src 'self' data: {DOCS_ASSET_ORIGINS}",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        NO_FRAMING,
    ]
)


def security_headers(settings: Settings) -> Callable[[Message, Scope], Awaitable[None]]:
    """The ``before_send`` hook for ``settings``."""
    always_hsts = not settings.is_local and settings.public_base_url.lower().startswith("https://")
    session_cookie = settings.session_cookie_key.encode()

    async def add_security_headers(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = MutableScopeHeaders.from_message(message)
        headers["x-content-type-options"] = "nosniff"
        headers["referrer-policy"] = "no-referrer"
        headers["x-frame-options"] = "DENY"
        content_type = (headers.get("content-type") or "").lower()
        if "content-security-policy" not in headers:
            if scope.get("path", "").startswith(DOCS_PREFIX) and content_type.startswith("text/html"):
                headers["content-security-policy"] = DOCS_CSP
            elif content_type.startswith("application/json"):
                headers["content-security-policy"] = JSON_CSP
            else:
                headers["content-security-policy"] = NO_FRAMING
        if "cache-control" not in headers:
            if authenticated(scope, session_cookie):
                headers["cache-control"] = PRIVATE
            elif content_type.startswith("application/json"):
                headers["cache-control"] = "no-store"
        if always_hsts or scope.get("scheme") == "https":
            headers["strict-transport-security"] = HSTS

    return add_security_headers
