"""Dependencies point one way, and pure modules do no I/O. Parsed from the source, so a back edge fails
here, not in review.

Areas: identity <- cohorts <- lessons <- projects <- classroom <- reviews; mentoring -> cohorts, identity (and
the progress of projects/reviews); notifications may read from every area. Leaf modules (roles,
the actor, the policy, errors, listing, the service base, job context) import no domain area.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "cohort"
AREAS = ("identity", "cohorts", "lessons", "projects", "classroom", "reviews", "mentoring", "notifications")
ALLOWED: dict[str, set[str]] = {
    "identity": set(),
    "cohorts": {"identity"},
    "lessons": {"identity", "cohorts"},
    "projects": {"identity", "cohorts", "lessons"},
    "classroom": {"identity", "cohorts", "lessons", "projects"},
    "reviews": {"identity", "cohorts", "lessons", "projects", "classroom"},
    "mentoring": {"identity", "cohorts", "lessons", "projects", "classroom", "reviews"},
    "notifications": {"identity", "cohorts", "lessons", "projects", "classroom", "reviews", "mentoring"},
}
TRANSPORTS = ("cohort.web", "cohort.graphql", "cohort.app", "cohort.worker", "cohort.cli")
LEAVES = (
    "domain/roles.py",
    "domain/common.py",
    "domain/listing.py",
    "domain/service.py",
    "security/actor.py",
    *(f"security/policy/{path.name}" for path in sorted((SRC / "security" / "policy").glob("*.py"))),
    "errors.py",
    "events.py",
    "job_context.py",
    "after_commit.py",
    *(f"observability/{path.name}" for path in sorted((SRC / "observability").glob("*.py"))),
)
PURE = (
    "domain/projects/enums.py",
    "domain/projects/deadlines.py",
    "domain/classroom/enums.py",
    "domain/classroom/naming.py",
    "domain/classroom/events.py",
    "domain/classroom/ci.py",
    "domain/reviews/rules.py",
    *(f"domain/reviews/{path.name}" for path in sorted((SRC / "domain" / "reviews").glob("allocation_*.py"))),
    "domain/reviews/allocation.py",
    "domain/notifications/enums.py",
    "domain/notifications/schedule.py",
    "domain/notifications/preferences.py",
)
"""Algorithms and rules without I/O: they import neither the database nor any transport."""
IO = ("sqlalchemy", "advanced_alchemy", "asyncpg", "litestar", "httpx", "cohort.db", *TRANSPORTS)


def imports_of(path: Path) -> set[str]:
    """Every module ``path`` imports, type-only imports included."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def area_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[2] if len(parts) > 2 and parts[:2] == ["cohort", "domain"] and parts[2] in AREAS else None


def area_files() -> list[tuple[str, Path]]:
    return [
        (area, path)
        for area in AREAS
        if (SRC / "domain" / area).is_dir()
        for path in sorted((SRC / "domain" / area).glob("*.py"))
    ]


@pytest.mark.parametrize(("area", "path"), area_files(), ids=lambda v: str(v).rsplit("src/cohort/", 1)[-1])
def test_areas_import_only_lower_areas(area: str, path: Path) -> None:
    used = {a for m in imports_of(path) if (a := area_of(m)) and a != area}
    assert used <= ALLOWED[area], f"{path.name} in {area} imports {sorted(used - ALLOWED[area])}"


@pytest.mark.parametrize(("area", "path"), area_files(), ids=lambda v: str(v).rsplit("src/cohort/", 1)[-1])
def test_domain_never_imports_a_transport(area: str, path: Path) -> None:
    bad = {m for m in imports_of(path) if m.startswith(TRANSPORTS)}
    if path.name == "controllers.py":
        bad = {m for m in bad if not m.startswith("cohort.web")}
    assert not bad, f"{area}/{path.name} imports {sorted(bad)}"


@pytest.mark.parametrize("leaf", LEAVES)
def test_leaf_modules_import_no_area(leaf: str) -> None:
    used = {m for m in imports_of(SRC / leaf) if area_of(m)}
    assert not used, f"{leaf} imports {sorted(used)}"


@pytest.mark.parametrize("module", PURE)
def test_pure_modules_do_no_io(module: str) -> None:
    used = {m for m in imports_of(SRC / module) if m.startswith(IO) or m.endswith(".models")}
    assert not used, f"{module} imports {sorted(used)}"


def test_jobs_do_not_import_the_worker() -> None:
    for path in SRC.glob("domain/*/jobs.py"):
        assert "cohort.worker" not in imports_of(path), path
