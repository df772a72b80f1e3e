"""JSON bodies only: a body sent as anything else is refused before it is parsed.

Litestar decodes a handler's ``data`` as JSON whatever ``Content-Type`` says, so a ``text/plain``
form post (which browsers send cross-site without a preflight) would be read as JSON. Handlers
that take a body answer 415 unless it is declared ``application/json`` (or ``application/*+json``).
"""

from __future__ import annotations

from typing import Any

from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.exceptions import HTTPException
from litestar.handlers import HTTPRouteHandler
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

JSON_REQUIRED = "send the request body as JSON, with 'Content-Type: application/json'"


def takes_json_body(handler: Any) -> bool:
    """Whether a route handler reads a JSON request body (a ``data`` parameter)."""
    return isinstance(handler, HTTPRouteHandler) and "data" in handler.parsed_fn_signature.parameters


def is_json(content_type: str | None) -> bool:
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


class RequireJsonBody(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if takes_json_body(scope.get("route_handler")) and not is_json(
            MutableScopeHeaders(scope).get("content-type")
        ):
            raise HTTPException(status_code=415, detail=JSON_REQUIRED)
        await next_app(scope, receive, send)
