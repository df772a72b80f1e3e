"""The OpenAPI document at ``/docs/openapi.json``, made to describe exactly what the server does.

Litestar derives most of it from the handlers. What it cannot know is added or corrected here, once,
from the same sources the server itself uses, so clients generated from the document (and
schemathesis) see the real contract:

- request bodies are described by msgspec, the library that decodes them: unknown fields are refused
  (``additionalProperties: false``) and every length, pattern and bound is there, nested ones too;
- every error status a handler can answer with is documented with Cohort's own error body
  (``ErrorBody``, with its ``code``), including 400 (instead of Litestar's generic validation shape),
  415 for bodies that are not JSON, 429 (with its headers) where rate limits apply, and 503 wherever
  the database is needed;
- handlers that need no caller (health probes, sign-in, unsubscribe links) carry no security
  requirement;
- operation ids are the handlers' names in camelCase (``listCohorts``), and page envelopes are
  named ``<Item>Page``;
- ``ETag`` reads document their 304.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import msgspec
from litestar import Litestar
from litestar._openapi.plugin import OpenAPIPlugin
from litestar.enums import HttpMethod
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import OpenAPIRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.routes import HTTPRoute
from litestar.types.internal_types import PathParameterDefinition

from cohort import __version__
from cohort.web.caching import ETAG_OPT
from cohort.web.content_type import takes_json_body
from cohort.web.rate_limits import EXEMPT_OPT_KEY, TOKENS_PATH, WRITE_METHODS

COMPONENTS = "#/components/schemas/{name}"
ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}
NO_DATABASE = {"/health"}
"""Paths answered without the database (never a 503)."""

ERRORS = {
    400: "The request does not match the schema (`invalid_request`, `extra` lists the fields) or its JSON "
    "is malformed or missing (`bad_request`)",
    401: "Not signed in, or the API token is invalid, expired or revoked (`not_authenticated`)",
    404: "Does not exist, or belongs to a cohort you are not a member of (`not_found`)",
    415: "The body is not declared as JSON: send `Content-Type: application/json` (`unsupported_media_type`)",
    429: "Too many requests: wait `Retry-After` seconds (`too_many_requests`)",
    503: "A service this request depends on is unavailable; try again later",
}

RATE_LIMIT_HEADERS = {
    "RateLimit-Limit": "Requests allowed in the window",
    "RateLimit-Remaining": "Requests left in the window",
    "RateLimit-Reset": "Seconds until the window resets",
    "RateLimit-Policy": "The limit and its window in seconds, e.g. `120; w=60`",
}


def camel_case(name: str) -> str:
    head, *rest = name.strip("_").split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def operation_id(
    handler: HTTPRouteHandler, method: HttpMethod | str, path: list[str | PathParameterDefinition]
) -> str:
    """``list_cohorts`` → ``listCohorts``: stable (it changes only when the handler is renamed)."""
    return camel_case(handler.handler_name)


def openapi_config(render_plugins: list[OpenAPIRenderPlugin]) -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Cohort API",
        version=__version__,
        description="REST API for cohort-based learning programs. Authenticate with a session cookie "
        "(GitHub sign-in at /auth/github/login) or `Authorization: Bearer <API token>`. Every error "
        "answers with the same body: `{status_code, code, detail[, extra]}`.",
        path="/docs",
        render_plugins=render_plugins,
        components=Components(
            security_schemes={"bearer": SecurityScheme(type="http", scheme="bearer", description="API token")}
        ),
        security=[{"bearer": []}],
        operation_id_creator=operation_id,
    )


class ExactOpenAPIPlugin(OpenAPIPlugin):
    """Litestar's OpenAPI plugin, with the document refined by :func:`refine` before it is served."""

    __slots__ = ()

    def provide_openapi_schema(self) -> dict[str, Any]:
        if not self._openapi_schema:
            self._openapi_schema = refine(super().provide_openapi_schema(), self.app)
        return self._openapi_schema


def install(app: Litestar) -> Litestar:
    """Make ``app`` serve the refined document (Litestar creates its OpenAPI plugin itself)."""
    plugin = app.plugins.get(OpenAPIPlugin)
    plugin.__class__ = ExactOpenAPIPlugin
    return app


def _handlers(app: Litestar) -> dict[tuple[str, str], HTTPRouteHandler]:
    found: dict[tuple[str, str], HTTPRouteHandler] = {}
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for handler in route.route_handlers:
                for method in handler.http_methods:
                    found[(route.path_format, method.lower())] = handler
    return found


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if method in {"get", "put", "post", "patch", "delete", "head", "options", "trace"}:
                yield path, method, operation


def is_public(handler: HTTPRouteHandler) -> bool:
    """A handler that does not ask for the ``actor`` dependency serves anyone."""
    return "actor" not in handler.parsed_fn_signature.parameters


def is_rate_limited(path: str, method: str, handler: HTTPRouteHandler) -> bool:
    if handler.opt.get(EXEMPT_OPT_KEY):
        return False
    return (
        path.startswith("/auth/")
        or (method.upper() == "POST" and path == TOKENS_PATH)
        or (method.upper() in WRITE_METHODS and path.startswith("/api/"))
    )


def refine(document: dict[str, Any], app: Litestar) -> dict[str, Any]:
    handlers = _handlers(app)
    components: dict[str, Any] = document.setdefault("components", {}).setdefault("schemas", {})
    for path, method, operation in _operations(document):
        handler = handlers.get((path, method))
        if handler is None:
            continue
        if takes_json_body(handler):
            _describe_body(operation, handler, components)
        _document_errors(path, method, operation, handler)
    document = _rename_pages(document)
    return dict(json.loads(json.dumps(document, default=str)))  # a plain, JSON-ready copy


def _describe_body(operation: dict[str, Any], handler: HTTPRouteHandler, components: dict[str, Any]) -> None:
    """The request body as msgspec decodes it (extra fields refused, every constraint stated)."""
    data = handler.parsed_fn_signature.parameters["data"]
    body_type = data.annotation
    (schema,), defined = msgspec.json.schema_components([body_type], ref_template=COMPONENTS)
    _name_enum_keys(msgspec.inspect.type_info(body_type), defined)
    for name, definition in defined.items():
        if definition.get("required") == []:
            del definition["required"]
        _forbid_nul(definition)
        components[name] = definition
    operation["requestBody"] = {
        "required": not data.has_default,
        "content": {"application/json": {"schema": schema}},
    }


NUL_FREE = r"^[^\x00]*$"
"""PostgreSQL cannot store NUL characters in text, so no string the API stores may contain one."""


def _forbid_nul(schema: Any) -> None:
    """Give every free-form string (no pattern, format or enum of its own) the :data:`NUL_FREE` pattern.

    Patterned strings exclude NUL themselves (slugs, logins, and names with ``NOT_BLANK``).
    """
    if isinstance(schema, list):
        for item in schema:
            _forbid_nul(item)
        return
    if not isinstance(schema, dict):
        return
    if schema.get("type") == "string" and not {"pattern", "format", "enum"} & set(schema):
        schema["pattern"] = NUL_FREE
    for value in schema.values():
        _forbid_nul(value)


def _name_enum_keys(
    info: msgspec.inspect.Type, defined: dict[str, Any], seen: set[str] | None = None
) -> None:
    """msgspec leaves the keys of ``dict[SomeEnum, ...]`` unconstrained; state them (``propertyNames``)."""
    seen = set() if seen is None else seen
    if isinstance(info, msgspec.inspect.StructType):
        name = info.cls.__name__
        if name in seen:
            return
        seen.add(name)
        for field in info.fields:
            if isinstance(field.type, msgspec.inspect.DictType) and isinstance(
                field.type.key_type, msgspec.inspect.EnumType
            ):
                keys = [member.value for member in field.type.key_type.cls]
                properties = defined.get(name, {}).get("properties", {})
                if field.encode_name in properties:
                    properties[field.encode_name]["propertyNames"] = {"enum": keys}
            _name_enum_keys(field.type, defined, seen)
    for attribute in ("item_type", "value_type"):
        inner = getattr(info, attribute, None)
        if isinstance(inner, msgspec.inspect.Type):
            _name_enum_keys(inner, defined, seen)
    for inner in getattr(info, "types", ()):
        _name_enum_keys(inner, defined, seen)


def _error(status: int, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": ERRORS[status],
        "content": {"application/json": {"schema": ERROR_REF}},
    }
    if headers:
        response["headers"] = headers
    return response


def _header(description: str) -> dict[str, Any]:
    return {"description": description, "schema": {"type": "integer"}, "required": True}


def _document_errors(path: str, method: str, operation: dict[str, Any], handler: HTTPRouteHandler) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "query":
            _forbid_nul(parameter.get("schema"))
    if is_public(handler):
        operation["security"] = []
    else:
        responses.setdefault("401", _error(401))
    if operation.get("parameters") or operation.get("requestBody") or "400" in responses:
        responses["400"] = _error(400)
    if "{" in path:
        responses.setdefault("404", _error(404))
    if takes_json_body(handler):
        responses["415"] = _error(415)
    if is_rate_limited(path, method, handler):
        headers = {"Retry-After": _header("Seconds to wait before trying again")}
        headers.update({name: _header(text) for name, text in RATE_LIMIT_HEADERS.items()})
        responses["429"] = _error(429, headers=headers)
    if path not in NO_DATABASE:
        responses.setdefault("503", _error(503))
    for status, response in responses.items():
        if status.startswith(("4", "5")) and "content" in response:
            response["content"] = {"application/json": {"schema": ERROR_REF}}
    if handler.opt.get(ETAG_OPT):
        ok = responses.get("200", {})
        ok.setdefault("headers", {})["ETag"] = {
            "description": "Send it back in `If-None-Match` to get 304 while nothing changed",
            "schema": {"type": "string"},
        }
        responses["304"] = {"description": "Not modified since the `ETag` sent in `If-None-Match`"}
        parameters = operation.setdefault("parameters", [])
        parameters.append(
            {
                "name": "If-None-Match",
                "in": "header",
                "required": False,
                "description": "The `ETag` of the copy you hold",
                "schema": {"type": "string"},
            }
        )


_PAGE = re.compile(r"OffsetPagination_[\w.]*?\.(\w+?)(?:Read)?_")


def _rename_pages(document: dict[str, Any]) -> dict[str, Any]:
    """``OffsetPagination_cohort.domain.cohorts.schemas.CohortRead_`` → ``CohortPage``."""
    text = json.dumps(document, default=str)
    return dict(json.loads(_PAGE.sub(lambda match: f"{match.group(1)}Page", text)))
