"""Mentoring states shared by the models, the schemas and the policy (no database import)."""

from __future__ import annotations

import enum


class RunStatus(enum.StrEnum):
    PREVIEW = "preview"
    """Computed and stored; nothing changed yet."""
    APPLIED = "applied"
    """Its pairs became the cohort's mentorships."""
    STALE = "stale"
    """The cohort's profiles, rules or mentorships changed after it was computed; it cannot be applied."""


class RuleKind(enum.StrEnum):
    PIN = "pin"
    """The pair is always in the result of a run."""
    FORBID = "forbid"
    """The pair is never formed (an instructor's exclusion)."""


class ProgressSignal(enum.StrEnum):
    ON_TRACK = "on_track"
    NEEDS_HELP = "needs_help"
    AT_RISK = "at_risk"


class EndReason(enum.StrEnum):
    ENDED = "ended"
    """Ended by staff or the mentor, with nobody taking over."""
    TRANSFERRED = "transferred"
    """The learner moved to another mentor by hand."""
    REPAIRED = "repaired"
    """An applied pairing run gave the learner another mentor, or none."""
