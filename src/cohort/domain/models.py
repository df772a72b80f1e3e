"""Imports every model so metadata (Alembic, tests) sees all tables."""

from cohort.domain.cohorts.models import Cohort, CohortStatus, Membership, Program
from cohort.domain.identity.models import ApiToken, User
from cohort.domain.lessons.models import Lesson
from cohort.domain.notifications.models import NotificationPreference, OutboxMessage
from cohort.domain.roles import Role

__all__ = [
    "ApiToken",
    "Cohort",
    "CohortStatus",
    "Lesson",
    "Membership",
    "NotificationPreference",
    "OutboxMessage",
    "Program",
    "Role",
    "User",
]
