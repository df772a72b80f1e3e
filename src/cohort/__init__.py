"""Cohort: a backend for cohort-based learning programs."""

__version__ = "0.1.0"
