"""REST endpoints: my notification preferences, the outbox for admins, and one-click unsubscribe."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from advanced_alchemy.service import OffsetPagination
from jinja2 import Environment, select_autoescape
from litestar import Controller, MediaType, Request, Response, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from cohort.config import Settings
from cohort.domain.common import utcnow
from cohort.domain.listing import ListParams
from cohort.domain.notifications.models import Frequency, NotificationKind, OutboxState
from cohort.domain.notifications.schemas import (
    OutboxMessageRead,
    PreferenceRead,
    PreferencesRead,
    PreferencesUpdate,
)
from cohort.domain.notifications.services import (
    EffectivePreference,
    NotificationPreferenceService,
    OutboxService,
)
from cohort.errors import NotFound
from cohort.mail import InvalidUnsubscribeToken, UnsubscribeTokens
from cohort.security.actor import Actor
from cohort.web.convert import to_schema, to_schemas
from cohort.web.dependencies import provide_service
from cohort.web.errors import documented_errors
from cohort.web.listing import page_of, sorted_by

preference_service = provide_service(NotificationPreferenceService)
outbox_service = provide_service(OutboxService)


def _read(preferences: list[EffectivePreference]) -> PreferencesRead:
    return PreferencesRead(preferences=to_schemas(PreferenceRead, preferences))


class NotificationPreferenceController(Controller):
    """The signed-in user's choice of how often each kind of email comes."""

    path = "/api/v1/me/notification-preferences"
    tags = ["me"]
    dependencies = {"preference_service": preference_service}

    @get("/", summary="My notification preferences", responses=documented_errors(401))
    async def get_preferences(
        self,
        actor: NamedDependency[Actor],
        settings: NamedDependency[Settings],
        preference_service: NamedDependency[NotificationPreferenceService],
    ) -> PreferencesRead:
        default = Frequency(settings.digest_default_frequency)
        return _read(await preference_service.list_for(actor, default))

    @put("/", summary="Set how often each kind of email comes", responses=documented_errors(401))
    async def put_preferences(
        self,
        actor: NamedDependency[Actor],
        settings: NamedDependency[Settings],
        preference_service: NamedDependency[NotificationPreferenceService],
        data: JSONBody[PreferencesUpdate],
    ) -> PreferencesRead:
        default = Frequency(settings.digest_default_frequency)
        return _read(await preference_service.update_for(actor, data.preferences, default))


class OutboxAdminController(Controller):
    """Every email the service decided to send, its state and last error (admins only)."""

    path = "/api/v1/admin/outbox"
    tags = ["admin"]
    dependencies = {"outbox_service": outbox_service}

    @get(
        "/",
        summary="List outbox messages (e.g. ?state=failed)",
        responses=documented_errors(401, 403),
        dependencies=sorted_by("created_at", "next_attempt_at", "updated_at"),
    )
    async def list_outbox(
        self,
        actor: NamedDependency[Actor],
        outbox_service: NamedDependency[OutboxService],
        listing: NamedDependency[ListParams],
        only_state: Annotated[
            OutboxState | None, QueryParameter(name="state", description="Only messages in this state.")
        ] = None,
        kind: FromQuery[NotificationKind | None] = None,
        user_id: FromQuery[UUID | None] = None,
    ) -> OffsetPagination[OutboxMessageRead]:
        page = await outbox_service.list_for(actor, listing, state=only_state, kind=kind, user_id=user_id)
        return page_of(OutboxMessageRead, page)

    @get("/{message_id:uuid}", summary="Get an outbox message", responses=documented_errors(401, 403, 404))
    async def get_message(
        self,
        actor: NamedDependency[Actor],
        outbox_service: NamedDependency[OutboxService],
        message_id: FromPath[UUID],
    ) -> OutboxMessageRead:
        return to_schema(OutboxMessageRead, await outbox_service.get_for(actor, message_id))

    @post(
        "/{message_id:uuid}/retry",
        summary="Send a failed or cancelled message again",
        status_code=200,
        responses=documented_errors(401, 403, 404, 409),
    )
    async def retry_message(
        self,
        actor: NamedDependency[Actor],
        outbox_service: NamedDependency[OutboxService],
        message_id: FromPath[UUID],
    ) -> OutboxMessageRead:
        return to_schema(OutboxMessageRead, await outbox_service.retry_for(actor, message_id, utcnow()))


KIND_LABELS = {
    NotificationKind.SUBMISSION_REMINDER: "project deadline reminders",
    NotificationKind.REVIEW_REMINDER: "peer review reminders",
    NotificationKind.LEARNER_DIGEST: "your learning digest",
    NotificationKind.MENTOR_DIGEST: "your mentoring digest",
}
ONE_CLICK = ("List-Unsubscribe", "One-Click")

_PAGES = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
_PAGE = _PAGES.from_string(
    """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>{{ title }}</title>
<style>
body { font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; max-width: 32rem;
       margin: 4rem auto; padding: 0 1rem; color: #1f2933; line-height: 1.5; }
button { font-size: 1rem; padding: .6rem 1.4rem; border: 0; border-radius: 6px; background: #1d4ed8;
         color: #fff; cursor: pointer; }
</style></head>
<body><h1>{{ title }}</h1><p>{{ message }}</p>
{% if confirm %}<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click">
<button type="submit">Unsubscribe</button></form>{% endif %}
</body></html>
"""
)


def _page(title: str, message: str, *, status: int = 200, confirm: bool = False) -> Response[str]:
    html = _PAGE.render(title=title, message=message, confirm=confirm)
    return Response(
        html,
        status_code=status,
        media_type=MediaType.HTML,
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


def _refusal(exc: Exception) -> Response[str]:
    """Bad links answer in the page's own form; they say what is wrong, never whose link it was."""
    if isinstance(exc, InvalidUnsubscribeToken):
        return _page(
            "Invalid link",
            "This unsubscribe link is not valid. Please use the link from the email.",
            status=400,
        )
    return _page(
        "Nothing to unsubscribe from", "This unsubscribe link no longer applies to anything.", status=404
    )


class UnsubscribeController(Controller):
    """One-click unsubscribe (RFC 8058): the signed link is the only credential, no sign-in.

    Pages for people and mail clients (HTML, also when refusing), so not part of the JSON API's schema.
    """

    path = "/unsubscribe"
    include_in_schema = False
    dependencies = {"preference_service": preference_service}

    @get("/{token:str}", summary="Confirm unsubscribing (HTML page)", media_type=MediaType.HTML)
    async def confirm(
        self,
        settings: NamedDependency[Settings],
        preference_service: NamedDependency[NotificationPreferenceService],
        token: FromPath[str],
    ) -> Response[str]:
        try:
            _, kind = await preference_service.resolve_unsubscribe(
                UnsubscribeTokens(settings.secret_key), token
            )
        except (InvalidUnsubscribeToken, NotFound) as exc:
            return _refusal(exc)
        return _page("Unsubscribe?", f"Stop receiving {KIND_LABELS[kind]} by email?", confirm=True)

    @post("/{token:str}", summary="Unsubscribe (one click)", status_code=200, media_type=MediaType.HTML)
    async def unsubscribe(
        self,
        request: Request[Any, Any, Any],
        settings: NamedDependency[Settings],
        preference_service: NamedDependency[NotificationPreferenceService],
        token: FromPath[str],
    ) -> Response[str]:
        form = await request.form()
        if form.get(ONE_CLICK[0]) != ONE_CLICK[1]:
            return _page(
                "Not unsubscribed",
                "An unsubscribe request must carry List-Unsubscribe=One-Click.",
                status=400,
            )
        try:
            kind = await preference_service.unsubscribe(UnsubscribeTokens(settings.secret_key), token)
        except (InvalidUnsubscribeToken, NotFound) as exc:
            return _refusal(exc)
        return _page("Unsubscribed", f"You will no longer receive {KIND_LABELS[kind]} by email.")
