"""The facts a learner digest is made of, each read once per cohort and page through the owning area.

- lessons: released in the period just ended, and coming up in the next (``LessonService``);
- projects due in either period, with whether the work is in; reviews still to write; feedback
  received in the period just ended, only once the author may read it (``ProgressService`` and the
  peer-review rules: nothing is recomputed here).

Facts are fetched per cohort for one page of recipients at a time, so memory follows the page, not
the number of learners.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from cohort.domain.identity.models import User
from cohort.domain.identity.services import UserService
from cohort.domain.lessons.models import Lesson
from cohort.domain.lessons.services import LessonService
from cohort.domain.notifications import links
from cohort.domain.notifications.schedule import DigestSlot
from cohort.domain.projects.models import Project
from cohort.domain.projects.services import ProjectService
from cohort.domain.reviews.models import ReviewState, SubmissionState
from cohort.domain.reviews.progress import (
    LearnerProjectProgress,
    ProgressFilter,
    ProgressService,
    ReviewProgress,
)
from cohort.domain.reviews.rules import reviews_released
from cohort.domain.roles import Role
from cohort.mail import FeedbackReceived, ProjectDue, ReviewToDo, local_time_label
from cohort.security import policy
from cohort.security.actor import Actor

HANDED_IN = frozenset({SubmissionState.SUBMITTED, SubmissionState.LATE})


class LessonFacts:
    """Released and upcoming lessons per cohort and window, each looked up once per scan."""

    def __init__(self) -> None:
        self._cache: dict[tuple[UUID, datetime, datetime], Sequence[Lesson]] = {}

    async def between(
        self, lessons: LessonService, cohort_id: UUID, start: datetime, end: datetime
    ) -> Sequence[Lesson]:
        key = (cohort_id, start, end)
        if key not in self._cache:
            self._cache[key] = await lessons.releasing_between([cohort_id], start, end)
        return self._cache[key]


@dataclass
class ProjectSections:
    projects_due: list[ProjectDue] = field(default_factory=list)
    reviews_to_do: list[ReviewToDo] = field(default_factory=list)
    feedback_received: list[FeedbackReceived] = field(default_factory=list)


class ProjectFacts:
    """Projects, reviews and feedback of the learners of one page, indexed by person once per load."""

    def __init__(self, session: AsyncSession, now: datetime) -> None:
        self.session = session
        self.now = now
        self._work: dict[tuple[UUID, UUID], list[LearnerProjectProgress]] = defaultdict(list)
        self._to_review: dict[tuple[UUID, UUID], list[ReviewProgress]] = defaultdict(list)
        self._reviews_of: dict[UUID, list[ReviewProgress]] = defaultdict(list)
        self._projects: dict[UUID, Project] = {}
        self._people: dict[UUID, User] = {}

    async def load(self, cohort_ids: Collection[UUID]) -> None:
        """Read these cohorts' progress (two statements each) and the projects and reviewers it names."""
        service = ProgressService(session=self.session)
        project_ids: set[UUID] = set()
        reviewer_ids: set[UUID] = set()
        for cohort_id in cohort_ids:
            progress = await service.progress_of([cohort_id], ProgressFilter(opened_only=True), at=self.now)
            for row in progress.submissions:
                self._work[(cohort_id, row.learner_id)].append(row)
                project_ids.add(row.project_id)
            for review in progress.reviews:
                self._to_review[(cohort_id, review.reviewer_id)].append(review)
                self._reviews_of[review.submission_id].append(review)
                reviewer_ids.add(review.reviewer_id)
        if project_ids:
            found = await ProjectService(session=self.session).get_many(Project.id.in_(project_ids))
            self._projects = {p.id: p for p in found}
        if reviewer_ids:
            people = await UserService(session=self.session).get_many(User.id.in_(reviewer_ids))
            self._people = {u.id: u for u in people}

    def sections(self, user: User, cohort_id: UUID, slot: DigestSlot) -> ProjectSections:
        found = ProjectSections()
        zone = user.time_zone
        mine = self._work.get((cohort_id, user.id), [])
        for row in mine:
            if slot.covers_from <= row.effective_due_at < slot.next_starts:
                found.projects_due.append(
                    ProjectDue(
                        title=self._projects[row.project_id].title,
                        due_at_local=local_time_label(row.effective_due_at, zone),
                        url=links.project(cohort_id, row.project_id),
                        submitted=row.state in HANDED_IN,
                    )
                )
        for review in self._to_review.get((cohort_id, user.id), []):
            if review.state is ReviewState.PENDING:
                found.reviews_to_do.append(
                    ReviewToDo(
                        project_title=self._projects[review.project_id].title,
                        due_at_local=local_time_label(review.review_due_at, zone),
                        url=links.review(cohort_id, review.review_id),
                    )
                )
        for row in mine:
            if row.submission_id is not None:
                found.feedback_received += self._feedback(user, cohort_id, row.submission_id, slot)
        return found

    def _feedback(
        self, user: User, cohort_id: UUID, submission_id: UUID, slot: DigestSlot
    ) -> list[FeedbackReceived]:
        """Reviews of this work written in the period, if the peer-review rules let its author read them."""
        reviews = self._reviews_of.get(submission_id, [])
        if not reviews:
            return []
        project = self._projects[reviews[0].project_id]
        done = sum(1 for r in reviews if r.submitted_at is not None)
        if not reviews_released(self.now, reviews[0].review_due_at, done, project.reviews_per_submission):
            return []
        reader = Actor(user_id=user.id, login=user.login, roles={cohort_id: Role.LEARNER})
        named = policy.sees_reviewer_identity(reader, cohort_id, anonymous=project.anonymous_reviews)
        feedback = []
        for review in reviews:
            if review.submitted_at is None or not slot.covers_from <= review.submitted_at < slot.starts:
                continue
            reviewer = self._people.get(review.reviewer_id)
            feedback.append(
                FeedbackReceived(
                    project_title=project.title,
                    reviewer_name=(reviewer.name or reviewer.login) if named and reviewer else None,
                    url=links.feedback(cohort_id, review.project_id),
                )
            )
        return feedback
