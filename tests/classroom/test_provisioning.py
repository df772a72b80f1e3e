"""Provisioning learner repositories against the fake GitHub: idempotent, adopting, late joiners,
renamed logins, rate limits, 5xx, a crash mid-run, and installation tokens cached and refreshed."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cohort.domain.classroom.enums import ProvisioningState
from cohort.domain.classroom.models import LearnerRepository
from cohort.domain.classroom.naming import repository_name
from cohort.domain.classroom.provisioning import provision_project
from cohort.github import GitHubAppAuth
from cohort.security.actor import SYSTEM_ACTOR
from tests.support.classroom import ORG, TEMPLATE, AppFactory, Classroom, add_learners
from tests.support.fake_github import FakeGitHub, ManualClock

GENERATE = f"/repos/{ORG}/{TEMPLATE}/generate"


async def rows_of(sessions: Callable[[], AsyncSession], classroom: Classroom) -> dict[str, LearnerRepository]:
    """The project's repository rows by learner login."""
    async with sessions() as session:
        rows = await session.scalars(
            select(LearnerRepository).where(LearnerRepository.project_id == classroom.project.id)
        )
        logins = {u.id: u.login for u in classroom.learners}
        return {logins.get(r.learner_id, str(r.learner_id)): r for r in rows}


def learner_repos(fake: FakeGitHub) -> list[str]:
    return sorted(r.full_name for r in fake.repos.values() if r.owner == ORG and r.name != TEMPLATE)


def expected_name(classroom: Classroom, login: str) -> str:
    return repository_name("{project}-{login}", classroom.project.title, login)


async def run(sessions: Callable[[], AsyncSession], classroom: Classroom, app: GitHubAppAuth):  # type: ignore[no-untyped-def]
    return await provision_project(sessions, SYSTEM_ACTOR, classroom.project.id, app)


async def test_every_learner_gets_a_private_repository_and_an_invitation(
    classroom: Classroom,
    sessions: Callable[[], AsyncSession],
    app_auth: GitHubAppAuth,
    fake_github: FakeGitHub,
) -> None:
    report = await run(sessions, classroom, app_auth)

    assert (report.created, report.invited, report.failed, report.stopped) == (4, 4, 0, None)
    rows = await rows_of(sessions, classroom)
    assert {login: r.state for login, r in rows.items()} == {
        u.login: ProvisioningState.INVITED for u in classroom.learners
    }
    for user in classroom.learners:
        repo = fake_github.repo(ORG, expected_name(classroom, user.login))
        assert repo is not None
        assert repo.private
        assert repo.invitations[user.login.lower()].permission == "push"
        row = rows[user.login]
        assert (row.github_repo_id, row.name, row.base_sha) == (repo.id, repo.name, repo.branch_head("main"))


async def test_a_second_run_creates_nothing_and_sees_accepted_invitations(
    classroom: Classroom,
    sessions: Callable[[], AsyncSession],
    app_auth: GitHubAppAuth,
    fake_github: FakeGitHub,
) -> None:
    await run(sessions, classroom, app_auth)
    first = classroom.learners[0]
    fake_github.accept_invitation(ORG, expected_name(classroom, first.login), first.login)

    report = await run(sessions, classroom, app_auth)

    assert fake_github.count("POST", GENERATE) == 4
    assert (report.created, report.adopted, report.accepted, report.invited) == (0, 0, 1, 0)
    rows = await rows_of(sessions, classroom)
    assert rows[first.login].state is ProvisioningState.ACCEPTED
    assert len(learner_repos(fake_github)) == 4


async def test_an_existing_repository_is_adopted_not_duplicated(
    classroom: Classroom,
    sessions: Callable[[], AsyncSession],
    app_auth: GitHubAppAuth,
    fake_github: FakeGitHub,
) -> None:
    """As left by a run that crashed after GitHub created it, or made by hand."""
    learner = classroom.learners[1]
    existing = fake_github.add_repo(ORG, expected_name(classroom, learner.login))

    report = await run(sessions, classroom, app_auth)

    assert (report.created, report.adopted) == (3, 1)
    assert (await rows_of(sessions, classroom))[learner.login].github_repo_id == existing.id
    assert len(learner_repos(fake_github)) == 4


async def test_late_joiners_get_theirs_on_the_next_run(
    classroom: Classroom,
    sessions: Callable[[], AsyncSession],
    app_auth: GitHubAppAuth,
    fake_github: FakeGitHub,
    db: AsyncSession,
) -> None:
    await run(sessions, classroom, app_auth)
    late = await add_learners(db, fake_github, classroom.cohort, 2, prefix="late")
    await db.commit()

    report = await run(sessions, classroom, app_auth)

    assert (report.created, report.invited) == (2, 2)
    assert fake_github.count("POST", GENERATE) == 6
    for user in late:
        assert fake_github.repo(ORG, expected_name(classroom, user.login)) is not None


async def test_a_renamed_login_is_followed_through_the_stable_github_id(
    classroom: Classroom,
    sessions: Callable[[], AsyncSession],
    app_auth: GitHubAppAuth,
    fake_github: FakeGitHub,
) -> None:
    """Cohort still knows the old login; GitHub knows the account by id. Someone who takes the old
    login is never invited."""
    learner = classroom.learners[2]
    assert learner.github_id is not None
    old_login = learner.login
    fake_github.rename_user(learner.github_id, "renamed-person")
    fake_github.add_user(old_login)  # a stranger takes the freed name

    await run(sessions, classroom, app_auth)

    assert fake_github.repo(ORG, expected_name(classroom, old_login)) is None
    repo = fake_github.repo(ORG, expected_name(classroom, "renamed-person"))
    assert repo is not None
    assert set(repo.invitations) == {"renamed-person"}
    assert (await rows_of(sessions, classroom))[old_login].invited_login == "renamed-person"


async def test_a_rename_after_the_invitation_re_invites_the_new_login(
    classroom: Classroom,
    sessions: Callable[[], AsyncSession],
    app_auth: GitHubAppAuth,
    fake_github: FakeGitHub,
) -> None:
    await run(sessions, classroom, app_auth)
    learner = classroom.learners[0]
    assert learner.github_id is not None
    name = expected_name(classroom, learner.login)
    fake_github.rename_user(learner.github_id, "new-name")
    repo = fake_github.repo(ORG, name)
    assert repo is not None
    repo.invitations.pop(learner.login.lower())  # GitHub moves nothing for us here

    await run(sessions, classroom, app_auth)

    assert "new-name" in repo.invitations
    assert len(learner_repos(fake_github)) == 4


async def test_a_secondary_rate_limit_is_waited_out_as_github_asks(
    classroom: Classroom,
    sessions: Callable[[], AsyncSession],
    app_auth: GitHubAppAuth,
    fake_github: FakeGitHub,
    gh_clock: ManualClock,
) -> None:
    fake_github.secondary_rate_limit(3, window_seconds=60, retry_after=45)

    report = await run(sessions, classroom, app_auth)

    assert (report.created, report.invited, report.stopped) == (4, 4, None)
    assert 45 in gh_clock.sleeps
    assert len(learner_repos(fake_github)) == 4
    assert fake_github.count("POST", GENERATE) == 4 + sum(
        1 for s in gh_clock.sleeps if s == 45
    ) - _limited_puts(fake_github)


def _limited_puts(fake: FakeGitHub) -> int:
    """Refused collaborator PUTs (counted by the fake under each repository's path)."""
    puts = sum(n for (method, path), n in fake.request_counts.items() if method == "PUT")
    return puts - 4


async def test_a_rate_limit_longer_than_accepted_stops_the_run_and_the_next_one_finishes(
    classroom: Classroom,
    sessions: Callable[[], AsyncSession],
    make_app: AppFactory,
    fake_github: FakeGitHub,
    gh_clock: ManualClock,
) -> None:
    fake_github.secondary_rate_limit(2, window_seconds=600, retry_after=600)
    impatient = make_app(max_wait_seconds=30)  # a worker should not block for ten minutes

    report = await run(sessions, classroom, impatient)

    assert report.stopped == "rate_limited"
    assert report.retry_after_seconds == 600
    done = [r for r in (await rows_of(sessions, classroom)).values() if r.github_repo_id is not None]
    assert len(done) == 1  # two writes: one repository created, its learner invited

    gh_clock.advance(601)
    fake_github.clear_faults()
    again = await run(sessions, classroom, impatient)

    assert again.stopped is None
    assert {r.state for r in (await rows_of(sessions, classroom)).values()} == {ProvisioningState.INVITED}
    assert len(learner_repos(fake_github)) == 4


async def test_a_5xx_on_create_is_not_repeated_and_the_next_run_catches_up(
    classroom: Classroom,
    sessions: Callable[[], AsyncSession],
    app_auth: GitHubAppAuth,
    fake_github: FakeGitHub,
) -> None:
    fake_github.fail_next("POST", GENERATE, status=502)

    report = await run(sessions, classroom, app_auth)

    assert (report.created, report.deferred) == (3, 1)
    assert fake_github.count("POST", GENERATE) == 4  # the failed POST was not sent again
    again = await run(sessions, classroom, app_auth)
    assert again.created == 1
    assert len(learner_repos(fake_github)) == 4


async def test_a_crash_mid_run_loses_nothing_and_duplicates_nothing(
    classroom: Classroom,
    sessions: Callable[[], AsyncSession],
    app_auth: GitHubAppAuth,
    fake_github: FakeGitHub,
) -> None:
    task = asyncio.create_task(run(sessions, classroom, app_auth))
    while fake_github.count("POST", GENERATE) < 2 and not task.done():  # noqa: ASYNC110
        await asyncio.sleep(0.001)
    task.cancel()  # the worker dies: whatever the learner in flight had done on GitHub stays there
    with contextlib.suppress(asyncio.CancelledError):
        await task

    report = await run(sessions, classroom, app_auth)

    assert report.stopped is None
    assert len(learner_repos(fake_github)) == 4
    rows = await rows_of(sessions, classroom)
    assert {r.state for r in rows.values()} == {ProvisioningState.INVITED}
    assert len({r.github_repo_id for r in rows.values()}) == 4


async def test_an_account_that_no_longer_exists_fails_with_the_reason(
    classroom: Classroom,
    sessions: Callable[[], AsyncSession],
    app_auth: GitHubAppAuth,
    fake_github: FakeGitHub,
) -> None:
    gone = classroom.learners[3]
    assert gone.github_id is not None
    del fake_github.users[gone.github_id]

    report = await run(sessions, classroom, app_auth)

    row = (await rows_of(sessions, classroom))[gone.login]
    assert (report.failed, row.state) == (1, ProvisioningState.FAILED)
    assert row.failure_reason is not None
    assert "no longer exists" in row.failure_reason
    assert (await run(sessions, classroom, app_auth)).failed == 0  # failed rows wait for a retry


async def test_installation_tokens_are_cached_and_refreshed_before_expiry(
    classroom: Classroom,
    sessions: Callable[[], AsyncSession],
    app_auth: GitHubAppAuth,
    fake_github: FakeGitHub,
    gh_clock: ManualClock,
) -> None:
    minted = f"/app/installations/{classroom.installation_id}/access_tokens"
    await run(sessions, classroom, app_auth)
    await run(sessions, classroom, app_auth)
    assert fake_github.count("POST", minted) == 1

    gh_clock.advance(3600 - 200)  # inside the refresh margin: a new token before the old one expires
    await run(sessions, classroom, app_auth)
    assert fake_github.count("POST", minted) == 2


async def test_a_repository_renamed_on_github_is_found_again_by_its_id(
    classroom: Classroom,
    sessions: Callable[[], AsyncSession],
    app_auth: GitHubAppAuth,
    fake_github: FakeGitHub,
) -> None:
    """The rename's webhook was missed: the next run follows the repository's stable id."""
    await run(sessions, classroom, app_auth)
    learner = classroom.learners[0]
    repo = fake_github.repo(ORG, expected_name(classroom, learner.login))
    assert repo is not None
    del fake_github.repos[repo.key]
    repo.name = "renamed-by-an-instructor"
    fake_github.repos[repo.key] = repo
    fake_github.accept_invitation(ORG, repo.name, learner.login)

    report = await run(sessions, classroom, app_auth)

    row = (await rows_of(sessions, classroom))[learner.login]
    assert (row.name, row.state, report.accepted, report.failed) == (
        repo.name,
        ProvisioningState.ACCEPTED,
        1,
        0,
    )
    assert len(learner_repos(fake_github)) == 4
