"""One typed context per email kind: exactly what its templates may use, nothing looked up later.

Contexts hold finished facts (titles, due times already written in the recipient's zone, links), so a
template never computes, queries or converts. Links are either paths on the public site (``/cohorts/…``,
made absolute by the renderer) or absolute ``https://`` URLs to other sites.

Every context is a tagged msgspec struct (``{"kind": "learner_digest", …}`` as JSON), so an outbox can
store one and decode it back with :func:`decode_context` when it sends.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Self

import msgspec

from cohort.mail.wording import local_time_label, plural, time_left


class EmailContext(msgspec.Struct, frozen=True, kw_only=True, tag_field="kind"):
    """What every email has: someone to greet. Subclasses add the facts their kind needs."""

    recipient_name: str  # the name to greet them by, as they would like to be addressed

    @property
    def kind(self) -> str:
        """The template family (``<kind>.html.j2``, ``<kind>.txt.j2``), also the JSON tag."""
        return kind_of(type(self))

    @property
    def subject(self) -> str:
        raise NotImplementedError

    @classmethod
    def demo(cls) -> Self:
        """Realistic sample data, for previews and tests."""
        raise NotImplementedError


def kind_of(context_type: type[EmailContext]) -> str:
    tag = context_type.__struct_config__.tag
    if not isinstance(tag, str):
        msg = f"{context_type.__name__} has no kind tag"
        raise TypeError(msg)
    return tag


# Demo data follows the demo cohort (``cohort demo``): Lena learns in Berlin, Maya mentors from Singapore.
_DEMO_NOW = datetime(2025, 3, 13, 16, 0, tzinfo=UTC)
_DEMO_COHORT = "Foundations — Spring"
_DEMO_LEARNER_ZONE = "Europe/Berlin"


def _demo_label(hours_from_now: int, time_zone: str = _DEMO_LEARNER_ZONE) -> str:
    return local_time_label(_DEMO_NOW + timedelta(hours=hours_from_now), time_zone)


class DeadlineReminder(EmailContext, frozen=True, kw_only=True):
    """Something the recipient owes on a project is due in ``hours_left`` hours (rounded down)."""

    cohort_name: str
    project_title: str
    due_at_local: str
    hours_left: int


class SubmissionReminder(DeadlineReminder, frozen=True, kw_only=True, tag="submission_reminder"):
    """A learner's project is due soon and not yet submitted."""

    submit_url: str
    project_url: str
    checklist: tuple[str, ...] = ()
    late_policy: str | None = None

    @property
    def subject(self) -> str:
        return f"Reminder: {self.project_title} is due in {time_left(self.hours_left)}"

    @classmethod
    def demo(cls) -> Self:
        return cls(
            recipient_name="Lena",
            cohort_name=_DEMO_COHORT,
            project_title="URL shortener API",
            due_at_local=_demo_label(24),
            hours_left=24,
            submit_url="/cohorts/spring/projects/url-shortener/submit",
            project_url="/cohorts/spring/projects/url-shortener",
            checklist=(
                "Link to your GitHub repository",
                "README with set-up and test instructions",
                "Passing test suite on the main branch",
            ),
            late_policy="Late submissions are accepted for 48 hours but are reviewed last.",
        )


class ReviewReminder(DeadlineReminder, frozen=True, kw_only=True, tag="review_reminder"):
    """A peer review assigned to the recipient is due soon."""

    author_name: str | None  # None when the cohort reviews anonymously
    review_url: str
    rubric_url: str | None = None

    @property
    def subject(self) -> str:
        return f"Your review of {self.project_title} is due in {time_left(self.hours_left)}"

    @classmethod
    def demo(cls) -> Self:
        return cls(
            recipient_name="Lena",
            cohort_name=_DEMO_COHORT,
            project_title="Library catalogue CLI",
            author_name="Kofi Mensah",
            due_at_local=_demo_label(6),
            hours_left=6,
            review_url="/cohorts/spring/reviews/7f3c2a",
            rubric_url="/cohorts/spring/projects/library-catalogue/rubric",
        )


class ReleasedLesson(msgspec.Struct, frozen=True, kw_only=True):
    title: str
    url: str


class UpcomingLesson(msgspec.Struct, frozen=True, kw_only=True):
    """No link: learners cannot open a lesson before it is released."""

    title: str
    releases_at_local: str


class ProjectDue(msgspec.Struct, frozen=True, kw_only=True):
    title: str
    due_at_local: str
    url: str
    submitted: bool = False


class ReviewToDo(msgspec.Struct, frozen=True, kw_only=True):
    project_title: str
    due_at_local: str
    url: str


class FeedbackReceived(msgspec.Struct, frozen=True, kw_only=True):
    project_title: str
    reviewer_name: str | None  # None when the review was anonymous
    url: str


class LearnerDigest(EmailContext, frozen=True, kw_only=True, tag="learner_digest"):
    """A learner's period at a glance: what opened, what is due, what came back, what the mentor said."""

    cohort_name: str
    period_label: str
    dashboard_url: str
    lessons_released: tuple[ReleasedLesson, ...] = ()
    lessons_upcoming: tuple[UpcomingLesson, ...] = ()
    projects_due: tuple[ProjectDue, ...] = ()
    reviews_to_do: tuple[ReviewToDo, ...] = ()
    feedback_received: tuple[FeedbackReceived, ...] = ()
    mentor_name: str | None = None
    mentor_next_steps: str | None = None

    @property
    def open_projects(self) -> int:
        return sum(1 for p in self.projects_due if not p.submitted)

    @property
    def has_news(self) -> bool:
        """False when every section is empty: a caller should then skip sending."""
        return bool(
            self.lessons_released
            or self.lessons_upcoming
            or self.projects_due
            or self.reviews_to_do
            or self.feedback_received
            or self.mentor_next_steps
        )

    @property
    def subject(self) -> str:
        parts = [
            (self.open_projects, plural(self.open_projects, "project") + " due"),
            (len(self.reviews_to_do), plural(len(self.reviews_to_do), "review") + " to do"),
            (len(self.lessons_released), plural(len(self.lessons_released), "new lesson")),
            (len(self.feedback_received), "new feedback"),
        ]
        summary = ", ".join(text for count, text in parts if count) or "your update"
        return f"{self.cohort_name}, {self.period_label}: {summary}"

    @classmethod
    def demo(cls) -> Self:
        return cls(
            recipient_name="Lena",
            cohort_name=_DEMO_COHORT,
            period_label="week of 10 March",
            dashboard_url="/cohorts/spring",
            lessons_released=(
                ReleasedLesson(title="Building APIs with Litestar", url="/cohorts/spring/lessons/5"),
            ),
            lessons_upcoming=(
                UpcomingLesson(title="Authentication and authorization", releases_at_local=_demo_label(89)),
            ),
            projects_due=(
                ProjectDue(
                    title="URL shortener API",
                    due_at_local=_demo_label(24),
                    url="/cohorts/spring/projects/url-shortener",
                ),
                ProjectDue(
                    title="Library catalogue CLI",
                    due_at_local=_demo_label(-30),
                    url="/cohorts/spring/projects/library-catalogue",
                    submitted=True,
                ),
            ),
            reviews_to_do=(
                ReviewToDo(
                    project_title="Library catalogue CLI",
                    due_at_local=_demo_label(6),
                    url="/cohorts/spring/reviews/7f3c2a",
                ),
            ),
            feedback_received=(
                FeedbackReceived(
                    project_title="Weather dashboard",
                    reviewer_name="Priya Nair",
                    url="/cohorts/spring/projects/weather-dashboard/feedback",
                ),
            ),
            mentor_name="Maya Chen",
            mentor_next_steps=(
                "Great progress on the catalogue CLI.\n"
                "Next: add tests for the search edge cases before starting the URL shortener."
            ),
        )


class MenteeAtRisk(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    cohort_name: str
    reasons: tuple[str, ...]  # each a full sentence a mentor can act on
    last_check_in_local: str | None  # None: never checked in
    profile_url: str


class MentorDigest(EmailContext, frozen=True, kw_only=True, tag="mentor_digest"):
    """Which mentees need the mentor's attention, and why."""

    period_label: str
    dashboard_url: str
    mentees_at_risk: tuple[MenteeAtRisk, ...] = ()
    mentees_on_track: int = 0

    @property
    def subject(self) -> str:
        if not self.mentees_at_risk:
            return f"Mentoring, {self.period_label}: all your mentees are on track"
        count = len(self.mentees_at_risk)
        verb = "needs" if count == 1 else "need"
        return f"Mentoring, {self.period_label}: {plural(count, 'mentee')} {verb} your attention"

    @classmethod
    def demo(cls) -> Self:
        mentor_zone = "Asia/Singapore"
        return cls(
            recipient_name="Maya",
            period_label="week of 10 March",
            dashboard_url="/mentoring",
            mentees_at_risk=(
                MenteeAtRisk(
                    name="Kofi Mensah",
                    cohort_name=_DEMO_COHORT,
                    reasons=(
                        "Missed the deadline for Library catalogue CLI (30 hours ago, not submitted).",
                        "Has not opened Building APIs with Litestar, released 3 days ago.",
                    ),
                    last_check_in_local=_demo_label(-16 * 24, mentor_zone),
                    profile_url="/mentoring/mentees/kofi-learner",
                ),
                MenteeAtRisk(
                    name="Noor Haddad",
                    cohort_name="ProDev — Cohort 1",
                    reasons=("Two reviews overdue.",),
                    last_check_in_local=None,
                    profile_url="/mentoring/mentees/noor-learner",
                ),
            ),
            mentees_on_track=3,
        )


EMAIL_CONTEXTS: tuple[type[EmailContext], ...] = (
    SubmissionReminder,
    ReviewReminder,
    LearnerDigest,
    MentorDigest,
)
EMAIL_KINDS: dict[str, type[EmailContext]] = {kind_of(c): c for c in EMAIL_CONTEXTS}

AnyEmailContext = SubmissionReminder | ReviewReminder | LearnerDigest | MentorDigest


def decode_context(payload: bytes | str) -> AnyEmailContext:
    """Rebuild a context stored as JSON (for instance in an outbox row)."""
    context: AnyEmailContext = msgspec.json.decode(payload, type=AnyEmailContext)
    return context
