"""The authenticated caller, with the cohort roles every policy decision needs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from cohort.domain.roles import Role

SYSTEM_USER_ID = UUID(int=0)
"""Not a row in ``users``: the id background jobs act under (never stored as a foreign key)."""


@dataclass(frozen=True, slots=True)
class Profile:
    """The caller's own account, read in the statement that checked their credentials, so answering
    "who am I" needs no second query. Attribute names match ``User``'s."""

    id: UUID
    github_id: int | None
    login: str
    name: str | None
    email: str | None
    avatar_url: str | None
    time_zone: str
    is_admin: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Actor:
    """A signed-in user, their role in each cohort they belong to, and those cohorts' programs."""

    user_id: UUID
    login: str
    is_admin: bool = False
    roles: dict[UUID, Role] = field(default_factory=dict)
    program_ids: frozenset[UUID] = frozenset()
    profile: Profile | None = field(default=None, compare=False, repr=False)
    """Set when the actor was read for a request; ``None`` for the system actor and in tests."""
    via_token: bool = False
    """Authenticated by an API token (rather than a browser session): some acts, such as creating
    another token, need the session, so a leaked token cannot mint successors that outlive it."""

    def role_in(self, cohort_id: UUID) -> Role | None:
        return self.roles.get(cohort_id)

    @property
    def is_system(self) -> bool:
        return self.user_id == SYSTEM_USER_ID

    @classmethod
    def system(cls) -> Actor:
        """The actor for scheduled work (deadline tracking, allocation when a review window opens).

        Jobs run without a request, yet services take an ``Actor`` first so that one set of rules
        serves every caller. The system actor holds admin rights, so it passes every check an admin
        passes; personal acts (submitting work, writing a review, rating one) stay refused, because
        it is nobody. Services record ``None`` instead of its id wherever they note who acted, since
        it is not a user. Never hand it to code that serves a request.
        """
        return cls(user_id=SYSTEM_USER_ID, login="system", is_admin=True)


SYSTEM_ACTOR = Actor.system()
"""The one system actor; see :meth:`Actor.system`."""
