"""JSON bodies only: a body sent as anything else is refused before it is parsed.

Litestar decodes a handler's ``data`` as JSON whatever ``Content-Type`` says, so a ``text/plain``
form post (which browsers send cross-site without a preflight) would be read as JSON. Handlers
that take a body answer 415 when one is sent without being declared ``application/json`` (or
``application/*+json``); a request without a body is left to the handler (an empty body where one
is required is a 400 saying so).
"""

from __future__ import annotations

from typing import Any

from litestar.datastructures import MutableScopeHeaders
from litestar.exceptions import HTTPException
from litestar.handlers import HTTPRouteHandler
from litestar.types import Scope

JSON_REQUIRED = "send the request body as JSON, with 'Content-Type: application/json'"


def takes_json_body(handler: Any) -> bool:
    """Whether a route handler reads a JSON request body (a ``data`` parameter)."""
    return isinstance(handler, HTTPRouteHandler) and "data" in handler.parsed_fn_signature.parameters


def is_json(content_type: str | None) -> bool:
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


def _has_body(headers: MutableScopeHeaders) -> bool:
    """Whether the request carries a body at all (handlers with an optional body accept none)."""
    length = headers.get("content-length")
    return bool(headers.get("transfer-encoding")) or (length is not None and length.strip() not in {"", "0"})


def require_json_body(scope: Scope) -> None:
    """415 for a body the handler would read that is not declared JSON."""
    if not takes_json_body(scope.get("route_handler")):
        return
    headers = MutableScopeHeaders(scope)
    if _has_body(headers) and not is_json(headers.get("content-type")):
        raise HTTPException(status_code=415, detail=JSON_REQUIRED)
