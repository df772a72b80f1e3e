"""Names of learner repositories: pure rules, so the provisioning run and the API agree on them."""

from __future__ import annotations

import re

PLACEHOLDERS = ("{project}", "{login}")
_NOT_NAME = re.compile(r"[^A-Za-z0-9._-]+")
MAX_REPOSITORY_NAME = 100


def slug(text: str) -> str:
    """Lower-case letters, digits and hyphens: ``"Todo API (v2)"`` becomes ``todo-api-v2``."""
    return _NOT_NAME.sub("-", text.strip().lower()).strip("-.") or "project"


def pattern_problem(pattern: str) -> str | None:
    """Why ``pattern`` cannot name repositories, or None. It must contain ``{login}`` (one repository
    per learner) and nothing else in braces."""
    if "{login}" not in pattern:
        return "must contain {login}, so every learner gets their own repository"
    rest = pattern
    for placeholder in PLACEHOLDERS:
        rest = rest.replace(placeholder, "")
    if "{" in rest or "}" in rest:
        return "only {project} and {login} may appear in braces"
    if _NOT_NAME.search(rest):
        return "may contain only letters, digits, '.', '-' and '_' besides the placeholders"
    return None


def repository_name(pattern: str, project_title: str, login: str) -> str:
    """The repository name for ``login`` (GitHub logins are already valid name characters)."""
    name = pattern.replace("{project}", slug(project_title)).replace("{login}", login)
    return name[:MAX_REPOSITORY_NAME]
