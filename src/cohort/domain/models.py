"""Imports every model so metadata (Alembic, tests) sees all tables."""

from cohort.domain.classroom.models import (
    CohortGitHub,
    CommitCheck,
    LearnerRepository,
    ProjectTemplate,
    RepositoryCommit,
    WebhookDelivery,
)
from cohort.domain.cohorts.models import Cohort, CohortStatus, Membership, Program
from cohort.domain.identity.models import ApiToken, User
from cohort.domain.lessons.models import Lesson
from cohort.domain.mentoring.models import (
    CheckIn,
    LearnerProfile,
    MentorProfile,
    Mentorship,
    PairingRule,
    PairingRun,
    PairingRunPair,
    PairingRunUnmatched,
)
from cohort.domain.notifications.models import NotificationPreference, OutboxMessage
from cohort.domain.projects.enums import GradeAggregation, LatePolicy, ReviewerPool
from cohort.domain.projects.models import Extension, Project, RubricCriterion, Submission, SubmissionVersion
from cohort.domain.reviews.models import AllocationRun, GradeOverride, Review, ReviewExclusion, ReviewScore
from cohort.domain.roles import Role

__all__ = [
    "AllocationRun",
    "ApiToken",
    "CheckIn",
    "Cohort",
    "CohortGitHub",
    "CohortStatus",
    "CommitCheck",
    "Extension",
    "GradeAggregation",
    "GradeOverride",
    "LatePolicy",
    "LearnerProfile",
    "LearnerRepository",
    "Lesson",
    "Membership",
    "MentorProfile",
    "Mentorship",
    "NotificationPreference",
    "OutboxMessage",
    "PairingRule",
    "PairingRun",
    "PairingRunPair",
    "PairingRunUnmatched",
    "Program",
    "Project",
    "ProjectTemplate",
    "RepositoryCommit",
    "Review",
    "ReviewExclusion",
    "ReviewScore",
    "ReviewerPool",
    "Role",
    "RubricCriterion",
    "Submission",
    "SubmissionVersion",
    "User",
    "WebhookDelivery",
]
