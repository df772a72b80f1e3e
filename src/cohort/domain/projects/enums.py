"""The choices a project offers, in a leaf module: the pure deadline rules and the models both use them."""

from __future__ import annotations

import enum


class LatePolicy(enum.StrEnum):
    HARD_CLOSE = "hard_close"
    """Nothing is accepted after the (learner's) due time."""
    ACCEPT_UNTIL_CUTOFF = "accept_until_cutoff"
    """Late work is accepted, and marked late, until the cutoff; a penalty may apply."""


class ReviewerPool(enum.StrEnum):
    """Who reviews the project's submissions."""

    SUBMITTERS = "submitters"
    """Learners of the cohort who submitted this project."""
    ALL_LEARNERS = "all_learners"
    """Every learner of the cohort."""


class GradeAggregation(enum.StrEnum):
    """How the peer scores of one criterion become the submission's score for it."""

    MEDIAN = "median"
    MEAN = "mean"
