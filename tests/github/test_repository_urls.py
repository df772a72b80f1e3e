"""Parsing repository URLs people paste."""

from __future__ import annotations

import pytest

from cohort.github import InvalidRepositoryUrl, parse_repository_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://github.com/octocat/Hello-World", ("octocat", "Hello-World")),
        ("https://github.com/octocat/Hello-World/", ("octocat", "Hello-World")),
        ("https://github.com/octocat/Hello-World.git", ("octocat", "Hello-World")),
        ("https://github.com/octocat/Hello-World.git/", ("octocat", "Hello-World")),
        ("  https://github.com/octocat/hello  ", ("octocat", "hello")),
        ("https://www.github.com/a/b", ("a", "b")),
        ("HTTPS://GitHub.com/a/b", ("a", "b")),
        ("https://github.com/my-org-2/my_repo.v2", ("my-org-2", "my_repo.v2")),
        ("https://github.com/a/.github", ("a", ".github")),
        ("https://github.com/" + "a" * 39 + "/r", ("a" * 39, "r")),
        ("https://github.com/o/" + "r" * 100, ("o", "r" * 100)),
    ],
)
def test_valid_urls(url: str, expected: tuple[str, str]) -> None:
    assert parse_repository_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "",
        "github.com/octocat/hello",
        "http://github.com/octocat/hello",
        "git@github.com:octocat/hello.git",
        "ssh://git@github.com/octocat/hello",
        "https://gitlab.com/octocat/hello",
        "https://github.com.evil.example/octocat/hello",
        "https://evil.example/github.com/octocat/hello",
        "https://github.com:8443/octocat/hello",
        "https://user:pass@github.com/octocat/hello",
        "https://github.com/octocat",
        "https://github.com/octocat/",
        "https://github.com/octocat/hello/tree/main",
        "https://github.com/octocat/hello/pull/1",
        "https://github.com/octocat/hello?tab=readme",
        "https://github.com/octocat/hello#readme",
        "https://github.com//hello",
        "https://github.com/-octocat/hello",
        "https://github.com/octo_cat/hello",
        "https://github.com/octo.cat/hello",
        "https://github.com/" + "a" * 40 + "/hello",
        "https://github.com/octocat/" + "r" * 101,
        "https://github.com/octocat/hello world",
        "https://github.com/octocat/hel%6Co",
        "https://github.com/octocat/..",
        "https://github.com/octocat/.",
        "https://github.com/octocat/.git",
        "https://github.com/octocat/hello/.git",
        "https://github.com/octocat/hello//",
        "https://github.com:notaport/octocat/hello",
    ],
)
def test_invalid_urls(url: str) -> None:
    with pytest.raises(InvalidRepositoryUrl) as caught:
        parse_repository_url(url)
    assert (caught.value.status_code, caught.value.code) == (400, "invalid_repository_url")
    assert caught.value.detail
