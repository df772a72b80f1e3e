"""``cohort emails list`` and ``cohort emails preview`` render every kind from its demo data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from cohort.cli import main
from cohort.config import get_settings
from cohort.mail import EMAIL_KINDS, UnsubscribeTokens

KINDS = list(EMAIL_KINDS)


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://preview.cohort.example.org")
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_list_names_every_kind_with_its_demo_subject(runner: CliRunner) -> None:
    result = runner.invoke(main, ["emails", "list"])
    assert result.exit_code == 0, result.output
    lines = dict(line.split("\t") for line in result.output.splitlines())
    assert lines == {kind: context_type.demo().subject for kind, context_type in EMAIL_KINDS.items()}


@pytest.mark.parametrize("kind", KINDS)
def test_preview_prints_html_and_text_with_absolute_links_and_a_working_unsubscribe_link(
    runner: CliRunner, kind: str
) -> None:
    demo = EMAIL_KINDS[kind].demo()
    html = runner.invoke(main, ["emails", "preview", kind])
    assert html.exit_code == 0, html.output
    assert html.output.startswith("<!DOCTYPE html>")
    assert f"<title>{demo.subject}</title>" in html.output
    assert 'href="https://preview.cohort.example.org/' in html.output

    text = runner.invoke(main, ["emails", "preview", kind, "--format", "text"])
    assert text.exit_code == 0, text.output
    assert text.output.startswith(f"Hi {demo.recipient_name},")
    assert "</" not in text.output
    [link] = [line for line in text.output.splitlines() if line.startswith("Unsubscribe: ")]
    prefix = "Unsubscribe: https://preview.cohort.example.org/unsubscribe/"
    assert link.startswith(prefix)
    assert UnsubscribeTokens(get_settings().secret_key).verify(link.removeprefix(prefix)).kind == kind


def test_preview_writes_a_file(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "digest.html"
    result = runner.invoke(main, ["emails", "preview", "mentor_digest", "--out", str(target)])
    assert result.exit_code == 0, result.output
    assert "Kofi Mensah" in target.read_text(encoding="utf-8")
    assert str(target) in result.output


def test_preview_refuses_an_unknown_kind(runner: CliRunner) -> None:
    result = runner.invoke(main, ["emails", "preview", "weekly_newsletter"])
    assert result.exit_code == 2
    assert "weekly_newsletter" in result.output
