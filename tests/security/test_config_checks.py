"""Settings refused at start: a wildcard (or malformed) CORS origin list with credentials."""

from __future__ import annotations

import dataclasses

import pytest

from cohort.app import create_app
from cohort.config import Settings


@pytest.mark.parametrize(
    "origins",
    [("*",), ("https://app.example.org", "*"), ("https://app.example.org/path",), ("app.example.org",)],
)
def test_wildcard_or_malformed_cors_origins_are_refused(settings: Settings, origins: tuple[str, ...]) -> None:
    with pytest.raises(RuntimeError, match="CORS_ALLOW_ORIGINS"):
        create_app(dataclasses.replace(settings, cors_allow_origins=origins))


def test_listed_origins_are_accepted(settings: Settings) -> None:
    create_app(
        dataclasses.replace(settings, cors_allow_origins=("https://app.example.org", "http://localhost:5173"))
    )
