"""``cohort.github`` is infrastructure: it may use settings, the error base and the metric definitions,
never a business area."""

from __future__ import annotations

import ast
from pathlib import Path


def test_the_github_package_imports_only_config_and_errors_from_cohort() -> None:
    package = Path(__file__).resolve().parents[2] / "src" / "cohort" / "github"
    allowed = ("cohort.config", "cohort.errors", "cohort.github", "cohort.observability")
    imported: set[str] = set()
    for path in package.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
    imported = {m for m in imported if m == "cohort" or m.startswith("cohort.")}
    assert imported, "the scan found no imports at all"
    assert {m for m in imported if not m.startswith(allowed)} == set()
