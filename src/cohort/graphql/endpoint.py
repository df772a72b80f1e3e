"""``/graphql`` in the Litestar app: strawberry's controller with this service's rules.

- The caller is resolved by the same code as REST (bearer token or session cookie); anonymous
  requests get in, but every field that needs a caller answers ``not_authenticated``.
- POST bodies must be ``application/json``: a cross-site form can only send form or plain-text
  bodies, so a session cookie cannot be used to forge a mutation. GET runs queries only.
- WebSockets speak graphql-transport-ws, from allowed origins only, and are authenticated like
  HTTP: the session cookie of the handshake, or ``{"Authorization": "Bearer <token>"}`` as the
  ``connection_init`` payload; otherwise the connection closes with 4403.
"""

# No ``from __future__ import annotations``: Litestar reads the dependency functions' annotations
# at run time, and they name objects local to ``graphql_controller``.

from collections.abc import Callable
from typing import Any

from litestar import Request, Response, WebSocket, get, post, websocket
from litestar.channels import ChannelsPlugin
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency, Provide
from litestar.enums import ScopeType
from litestar.exceptions import HTTPException
from litestar.handlers.base import BaseRouteHandler
from litestar.status_codes import HTTP_200_OK
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.exceptions import ConnectionRejectionError
from strawberry.litestar import make_graphql_controller
from strawberry.litestar.controller import GraphQLController
from strawberry.schema import BaseSchema
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.unset import UNSET, UnsetType

from cohort.config import Settings
from cohort.errors import NotAuthenticated
from cohort.graphql.context import Context
from cohort.security.actor import Actor
from cohort.security.authentication import (
    provide_optional_actor,
    resolve_actor,
    session_credential,
)

PATH = "/graphql"
JSON = "application/json"


def json_posts_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Refuse POSTs whose body is not JSON, before anything runs (no CORS-simple request can
    carry ``application/json``, so a cookie-authenticated mutation cannot come from another site)."""
    if connection.scope["type"] != ScopeType.HTTP or connection.scope.get("method") != "POST":
        return
    media_type = connection.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != JSON:
        raise HTTPException(
            status_code=415, detail=f"POST {PATH} needs 'Content-Type: {JSON}' (got {media_type or 'none'!r})"
        )


def _authorization(params: dict[str, object] | None) -> str | None:
    for key, value in (params or {}).items():
        if key.lower() == "authorization":
            if not isinstance(value, str):
                raise NotAuthenticated("Authorization must be 'Bearer <token>'")
            return value
    return None


def graphql_controller(
    settings: Settings,
    schema: BaseSchema,
    sessions: Callable[[], AsyncSession],
    channels: ChannelsPlugin,
) -> type[GraphQLController]:
    """The ``/graphql`` controller (HTTP, GraphiQL when enabled, WebSocket subscriptions)."""

    async def http_context(
        request: Request[Any, Any, Any],
        response: NamedDependency[Response[Any]],
        db_session: NamedDependency[AsyncSession],
        graphql_actor: NamedDependency[Actor | None],
    ) -> Context:
        return Context(
            request=request,
            response=response,
            actor=graphql_actor,
            session=db_session,
            channels=channels,
            settings=settings,
            request_id=request.scope.get("state", {}).get("request_id"),
        )

    async def websocket_context(socket: WebSocket[Any, Any, Any]) -> Context:
        return Context(
            websocket=socket,
            session_maker=sessions,
            channels=channels,
            settings=settings,
            session_user=session_credential(socket),
        )

    base = make_graphql_controller(
        schema,
        path=PATH,
        graphql_ide="graphiql" if settings.graphql_ide_enabled else None,
        allow_queries_via_get=True,
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
        allowed_origins=settings.cors_allow_origins,
        multipart_uploads_enabled=False,
    )

    class CohortGraphQLController(base):  # type: ignore[valid-type,misc]  # a class made at run time
        """Strawberry's controller, with every dependency named explicitly (Litestar 3 drops
        inferred ones) and the context built from this service's dependencies. The context is
        declared ``Any`` so Litestar passes it through instead of converting it."""

        include_in_schema = False
        guards = [json_posts_only]
        dependencies = {
            "graphql_actor": Provide(provide_optional_actor),
            "context": Provide(http_context),
            "context_ws": Provide(websocket_context),
            "response": base.dependencies["response"],
        }

        async def answer(
            self, request: Request[Any, Any, Any], context: Any, response: Response[Any]
        ) -> Response[Any]:
            # strawberry reads the sub-response from the (shared) controller; every request's is an
            # empty 200 with no headers, so whichever it reads is the same
            self.temporal_response = response
            answered: Response[Any] = await self.execute_request(
                request=request, context=context, root_value=None
            )
            return answered

        @get(include_in_schema=False)
        async def handle_http_get(
            self,
            request: Request[Any, Any, Any],
            context: NamedDependency[Any],
            response: NamedDependency[Response[Any]],
        ) -> Response[Any]:
            return await self.answer(request, context, response)

        @post(status_code=HTTP_200_OK, include_in_schema=False)
        async def handle_http_post(
            self,
            request: Request[Any, Any, Any],
            context: NamedDependency[Any],
            response: NamedDependency[Response[Any]],
        ) -> Response[Any]:
            return await self.answer(request, context, response)

        @websocket()
        async def websocket_endpoint(
            self, socket: WebSocket[Any, Any, Any], context_ws: NamedDependency[Any]
        ) -> None:
            await self.run(request=socket, context=context_ws, root_value=None)

        async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
            """Accept the connection only for a known caller (cookie or bearer token)."""
            try:
                authorization = _authorization(context.connection_params)
                async with sessions() as session, session.begin():  # a token's last use is recorded
                    actor = await resolve_actor(session, authorization, context.session_user)
            except NotAuthenticated as exc:
                raise ConnectionRejectionError({"code": exc.code, "message": exc.detail}) from exc
            if actor is None:
                raise ConnectionRejectionError({"code": "not_authenticated", "message": "sign in first"})
            context.actor = actor
            accepted: UnsetType = UNSET
            return accepted

    return CohortGraphQLController
