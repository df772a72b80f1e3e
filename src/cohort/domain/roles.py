"""Roles a person holds in a cohort.

A leaf module: the authorization policy and the actor need ``Role`` without importing the ORM
models, and the models need it for their columns, so it lives below both.
"""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    """A member's role inside one cohort."""

    LEARNER = "learner"
    MENTOR = "mentor"
    INSTRUCTOR = "instructor"
