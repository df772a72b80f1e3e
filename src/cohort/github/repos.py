"""Reading ``https://github.com/<owner>/<repo>`` URLs that people paste into forms."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from cohort.github.errors import InvalidRepositoryUrl

# GitHub's rules: an owner (user or organization) is 1-39 letters, digits or hyphens, not starting with a
# hyphen (older accounts may contain "--" or end with "-", so those are accepted); a repository name is
# 1-100 letters, digits, ".", "-" or "_", and never "." or "..".
OWNER = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,38}")
REPOSITORY = re.compile(r"[A-Za-z0-9._-]{1,100}")
HOSTS = frozenset({"github.com", "www.github.com"})


def parse_repository_url(url: str) -> tuple[str, str]:
    """``(owner, repo)`` from ``https://github.com/<owner>/<repo>`` with an optional ``.git`` and/or
    trailing ``/``; anything else (other hosts, ``http``, deeper paths, queries) is refused."""
    text = url.strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise InvalidRepositoryUrl(f"not a URL: {text!r}") from exc
    if parts.scheme != "https" or (parts.hostname or "") not in HOSTS or port is not None:
        raise InvalidRepositoryUrl("a repository URL must start with https://github.com/")
    if parts.username is not None or parts.query or parts.fragment or "#" in text or "?" in text:
        raise InvalidRepositoryUrl("a repository URL has no query, fragment or credentials")
    path = parts.path.removesuffix("/").removesuffix(".git")
    segments = path.split("/")
    if len(segments) != 3 or segments[0] != "":
        raise InvalidRepositoryUrl("expected https://github.com/<owner>/<repository>")
    owner, repo = segments[1], segments[2]
    if not OWNER.fullmatch(owner):
        raise InvalidRepositoryUrl(f"{owner!r} is not a valid GitHub account name")
    if not REPOSITORY.fullmatch(repo) or repo in {".", ".."}:
        raise InvalidRepositoryUrl(f"{repo!r} is not a valid GitHub repository name")
    return owner, repo
