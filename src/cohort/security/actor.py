"""The authenticated caller, with the cohort roles every policy decision needs."""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from cohort.domain.roles import Role


@dataclass(frozen=True, slots=True)
class Actor:
    """A signed-in user, their role in each cohort they belong to, and those cohorts' programs."""

    user_id: UUID
    login: str
    is_admin: bool = False
    roles: dict[UUID, Role] = field(default_factory=dict)
    program_ids: frozenset[UUID] = frozenset()

    def role_in(self, cohort_id: UUID) -> Role | None:
        return self.roles.get(cohort_id)
