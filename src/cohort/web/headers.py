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


_FIXED = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]
"""Set on every response, replacing whatever a handler set."""
_REPLACED = frozenset(name for name, _ in _FIXED)
_DOCS_CSP, _JSON_CSP, _NO_FRAMING = DOCS_CSP.encode(), JSON_CSP.encode(), NO_FRAMING.encode()
_PRIVATE, _HSTS = PRIVATE.encode(), HSTS.encode()


def security_headers(settings: Settings) -> Callable[[Message, Scope], Awaitable[None]]:
    """The ``before_send`` hook for ``settings``."""
    always_hsts = not settings.is_local and settings.public_base_url.lower().startswith("https://")
    session_cookie = settings.session_cookie_key.encode()

    async def add_security_headers(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        # the raw header list, read once: this runs for every response
        raw: list[tuple[bytes, bytes]] = [
            (name, value) for name, value in message.get("headers", ()) if name.lower() not in _REPLACED
        ]
        present = {name.lower() for name, _ in raw}
        content_type = b""
        for name, value in raw:
            if name.lower() == b"content-type":
                content_type = value.lower()
                break
        raw += _FIXED
        if b"content-security-policy" not in present:
            if scope.get("path", "").startswith(DOCS_PREFIX) and content_type.startswith(b"text/html"):
                raw.append((b"content-security-policy", _DOCS_CSP))
            elif content_type.startswith(b"application/json"):
                raw.append((b"content-security-policy", _JSON_CSP))
            else:
                raw.append((b"content-security-policy", _NO_FRAMING))
        if b"cache-control" not in present:
            if authenticated(scope, session_cookie):
                raw.append((b"cache-control", _PRIVATE))
            elif content_type.startswith(b"application/json"):
                raw.append((b"cache-control", b"no-store"))
        if always_hsts or scope.get("scheme") == "https":
            raw = [header for header in raw if header[0].lower() != b"strict-transport-security"]
            raw.append((b"strict-transport-security", _HSTS))
        message["headers"] = raw

    return add_security_headers
