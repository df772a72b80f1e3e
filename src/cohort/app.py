"""The application factory: every plugin, middleware and route is wired here, once."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig, SQLAlchemyPlugin
from litestar import Litestar
from litestar.channels import ChannelsPlugin
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.plugins.opentelemetry import OpenTelemetryPlugin
from sqlalchemy.ext.asyncio import AsyncSession

from cohort.config import Settings, get_settings
from cohort.domain.classroom.controllers import ClassroomController, GitHubWebhookController
from cohort.domain.cohorts.controllers import CohortController, MembershipController, ProgramController
from cohort.domain.identity.controllers import MeController, UserController
from cohort.domain.lessons.controllers import LessonController
from cohort.domain.mentoring.controllers import (
    MentorProfileController,
    MentorshipController,
    PairingController,
)
from cohort.domain.notifications.controllers import (
    NotificationPreferenceController,
    OutboxAdminController,
    UnsubscribeController,
)
from cohort.domain.projects.controllers import ProjectController
from cohort.domain.reviews.controllers import (
    AllocationController,
    ProgressController,
    ReviewController,
    SubmissionController,
)
from cohort.events import EventPublisher, redis_backend
from cohort.graphql.endpoint import graphql_controller
from cohort.graphql.schema import build_schema
from cohort.logging import configure_logging
from cohort.observability.metrics import instrument_pool
from cohort.observability.tracing import configure_tracing, instrument_engine
from cohort.security.authentication import provide_actor
from cohort.security.controllers import GitHubAuthController
from cohort.security.session import SessionCookieConfig, SessionLifetime
from cohort.web.caching import HttpCachingMiddleware
from cohort.web.dependencies import resolve_dependencies_in_order
from cohort.web.docs import docs_assets, render_plugins
from cohort.web.errors import EXCEPTION_HANDLERS
from cohort.web.events import publish_after_commit
from cohort.web.headers import security_headers
from cohort.web.health import HealthController
from cohort.web.jobs import queue_lifespan
from cohort.web.metrics import SESSION_MAKER_STATE_KEY, MetricsController, RequestMetrics
from cohort.web.middleware import RequestContextMiddleware
from cohort.web.openapi import install as install_exact_openapi
from cohort.web.openapi import openapi_config
from cohort.web.options import answer_options_with_every_method
from cohort.web.rate_limits import STORE_NAME, rate_limit_middleware, rate_limit_store
from cohort.web.saq_ui import build_saq_ui, saq_ui_handler
from cohort.web.tracing import RequestIdSpanMiddleware, request_tracing_config
from cohort.web.transactions import request_database
from cohort.web.write_guards import WriteGuards

SUBSCRIBER_BACKLOG = 1_000
"""Events kept per GraphQL subscription that has not consumed them yet."""


def _session_config(settings: Settings) -> SessionCookieConfig:
    """An encrypted, signed, HttpOnly cookie holding the user id, the session epoch and its times
    (see :mod:`cohort.security.session`); the browser drops it after the absolute lifetime too."""
    return SessionCookieConfig(
        secret=hashlib.sha256(settings.secret_key.encode()).digest(),
        key=settings.session_cookie_key,
        max_age=settings.session_max_age_seconds,
        httponly=True,
        secure=settings.session_cookie_is_secure,
        path="/",
        domain=None,
        samesite="lax",
    )


@dataclass(slots=True)
class _Observability:
    route_handlers: list[Any] = field(default_factory=list)
    plugins: list[Any] = field(default_factory=list)
    middleware: list[Any] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)
    request_metrics: RequestMetrics | None = None


def _observability(
    settings: Settings, database: SQLAlchemyAsyncConfig, sessions: Callable[[], AsyncSession]
) -> _Observability:
    """Metrics (``/metrics``, request metrics, pool gauges) and, when enabled, tracing."""
    wiring = _Observability()
    instrument_pool(database.get_engine(), "api")
    if settings.metrics_enabled:
        wiring.route_handlers.append(MetricsController)
        wiring.request_metrics = RequestMetrics()
        wiring.state[SESSION_MAKER_STATE_KEY] = sessions
    if configure_tracing(settings, "api"):
        instrument_engine(database.get_engine())
        wiring.plugins.append(OpenTelemetryPlugin(request_tracing_config()))
        wiring.middleware.append(RequestIdSpanMiddleware())
    return wiring


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the ASGI app; tests pass their own settings."""
    settings = settings or get_settings()
    settings.validate()
    configure_logging(settings)
    resolve_dependencies_in_order()
    database = request_database(settings)
    open_queue, close_queue = queue_lifespan(settings)
    events_backend = redis_backend(settings)
    # a subscriber that stops reading keeps its newest events, not an unbounded queue
    channels = ChannelsPlugin(
        backend=events_backend,
        arbitrary_channels_allowed=True,
        subscriber_max_backlog=SUBSCRIBER_BACKLOG,
        subscriber_backlog_strategy="dropleft",
    )
    database.before_send_handler = publish_after_commit(database, EventPublisher(events_backend))
    sessions = database.create_session_maker()
    graphql = graphql_controller(settings, build_schema(settings), sessions, channels)
    observability = _observability(settings, database, sessions)
    app = Litestar(
        route_handlers=[
            HealthController,
            GitHubAuthController,
            MeController,
            UserController,
            ProgramController,
            CohortController,
            MembershipController,
            LessonController,
            NotificationPreferenceController,
            OutboxAdminController,
            UnsubscribeController,
            saq_ui_handler(database),
            ProjectController,
            SubmissionController,
            AllocationController,
            ReviewController,
            ProgressController,
            MentorProfileController,
            PairingController,
            MentorshipController,
            ClassroomController,
            GitHubWebhookController,
            graphql,
            *observability.route_handlers,
            docs_assets(),
        ],
        on_startup=[open_queue, build_saq_ui],
        on_shutdown=[close_queue],
        dependencies={
            "settings": Provide(lambda: settings, sync_to_thread=False),
            "actor": Provide(provide_actor),
        },
        plugins=[SQLAlchemyPlugin(config=database), channels, *observability.plugins],
        middleware=[
            RequestContextMiddleware(observability.request_metrics),
            _session_config(settings).lazy_middleware(
                SessionLifetime(settings.session_max_age_seconds, settings.session_idle_timeout_seconds)
            ),
            WriteGuards([settings.public_base_url, *settings.cors_allow_origins]),
            *rate_limit_middleware(settings),
            HttpCachingMiddleware(),
            *observability.middleware,
        ],
        state=State(observability.state),
        stores={STORE_NAME: rate_limit_store(settings)},
        cors_config=CORSConfig(allow_origins=list(settings.cors_allow_origins), allow_credentials=True)
        if settings.cors_allow_origins
        else None,
        exception_handlers=EXCEPTION_HANDLERS,
        before_send=[security_headers(settings)],
        openapi_config=openapi_config(render_plugins()),
        debug=False,
        logging_config=None,
        signature_namespace={"Settings": Settings},
    )
    return install_exact_openapi(answer_options_with_every_method(app))
