"""Email tests need no database: rendering, messages and delivery stand on their own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cohort.mail import EmailRenderer, default_emails_dir
from tests.support.smtp import SmtpServer, TestCertificate

PUBLIC_BASE_URL = "https://cohort.example.org"


@pytest.fixture(autouse=True)
async def _clean_tables() -> None:
    """Replaces the suite-wide table cleaner, so these tests neither need nor touch PostgreSQL."""


@pytest.fixture(scope="session")
def renderer() -> EmailRenderer:
    return EmailRenderer(default_emails_dir(), public_base_url=PUBLIC_BASE_URL)


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> TestCertificate:
    return TestCertificate.create(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="session")
def _plain_smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


@pytest.fixture
def smtp_server(_plain_smtp: SmtpServer) -> Iterator[SmtpServer]:
    """A plain SMTP server on loopback, emptied and accepting again for each test."""
    _plain_smtp.reset()
    yield _plain_smtp
    _plain_smtp.reset()


@pytest.fixture
def emails_dir_copy(tmp_path: Path) -> Path:
    """A private copy of the templates, for tests that break one on purpose."""
    target = tmp_path / "emails"
    target.mkdir()
    for template in default_emails_dir().glob("*.j2"):
        (target / template.name).write_text(template.read_text(encoding="utf-8"), encoding="utf-8")
    return target
