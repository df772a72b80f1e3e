"""Small rules of peer review that several services share. Pure; no database."""

from __future__ import annotations

from datetime import datetime


def reviews_released(at: datetime, review_due_at: datetime, submitted_reviews: int, k: int) -> bool:
    """Whether the author may read the reviews of their work (and, the rest permitting, their grade):
    after the review due time, or earlier once ``k`` reviews are in."""
    return at >= review_due_at or submitted_reviews >= k


def reviewer_label(ordinal: int) -> str:
    """What an author sees instead of a reviewer's name. Reviewers are numbered per submission in the
    order they were assigned (``Review.ordinal``), so a label never changes once shown, and every
    viewer (author, staff, the reviewer) uses the same one."""
    return f"Reviewer {ordinal}"


def review_editable(at: datetime, review_due_at: datetime) -> bool:
    """A review may be written and rewritten until the review due time (inclusive)."""
    return at <= review_due_at
