"""A local stand-in for GitHub (OAuth, the REST endpoints Cohort uses, fault injection) for tests."""

from tests.support.fake_github.clock import ManualClock
from tests.support.fake_github.server import FakeGitHub
from tests.support.fake_github.state import (
    FakeCommit,
    FakeInstallation,
    FakeOrg,
    FakePull,
    FakeRepo,
    GitHubAccount,
)

__all__ = [
    "FakeCommit",
    "FakeGitHub",
    "FakeInstallation",
    "FakeOrg",
    "FakePull",
    "FakeRepo",
    "GitHubAccount",
    "ManualClock",
]
