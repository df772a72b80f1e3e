"""``sign_in_with_github`` case by case, at the service level (no HTTP), against the real database."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cohort.domain.cohorts.models import Membership
from cohort.domain.identity.models import User
from cohort.domain.identity.schemas import GitHubProfile
from cohort.domain.identity.services import UserService
from cohort.domain.roles import Role
from cohort.security.signin import sign_in_with_github
from tests.support.db import count_rows
from tests.support.world import World


async def sign_in(db: AsyncSession, github_id: int, login: str, **profile: str) -> User:
    user = await sign_in_with_github(
        UserService(session=db), GitHubProfile(id=github_id, login=login, **profile)
    )
    await db.commit()
    return user


async def roles_of(db: AsyncSession, user: User) -> dict[object, Role]:
    rows = await db.execute(
        select(Membership.cohort_id, Membership.role).where(Membership.user_id == user.id)
    )
    return {cohort_id: role for cohort_id, role in rows}


async def invite(
    db: AsyncSession, world: World, login: str, cohort: str, role: Role, *, github_id: int
) -> User:
    """A pending member as an invitation by login leaves one: bound to ``github_id``."""
    pending = User(login=login, invited_github_id=github_id)
    db.add(pending)
    await db.flush()
    cohort_id = world.cohort_a.id if cohort == "a" else world.cohort_b.id
    db.add(Membership(cohort_id=cohort_id, user_id=pending.id, role=role))
    await db.commit()
    return pending


async def test_new_identity_creates_an_account(db: AsyncSession) -> None:
    user = await sign_in(db, 101, "newcomer", name="New Comer", email="new@example.org")
    assert (user.github_id, user.login, user.name, user.email) == (
        101,
        "newcomer",
        "New Comer",
        "new@example.org",
    )
    assert user.last_login_at is not None
    assert await count_rows(db, User) == 1


async def test_known_identity_is_refreshed_not_duplicated(db: AsyncSession) -> None:
    first = await sign_in(db, 102, "old-name", name="Before")
    again = await sign_in(db, 102, "new-name", name="After")
    assert again.id == first.id
    assert (again.login, again.name) == ("new-name", "After")
    assert await count_rows(db, User) == 1


async def test_pending_invite_is_claimed_by_its_first_sign_in(db: AsyncSession, world: World) -> None:
    pending = await invite(db, world, "Invitee", "a", Role.LEARNER, github_id=103)
    user = await sign_in(db, 103, "invitee")
    assert user.id == pending.id, "the invite row becomes the account"
    assert not user.pending
    assert await roles_of(db, user) == {world.cohort_a.id: Role.LEARNER}


async def test_invite_for_an_existing_account_is_merged_into_it(db: AsyncSession, world: World) -> None:
    account = await sign_in(db, 104, "was-called-this")
    db.add(Membership(cohort_id=world.cohort_a.id, user_id=account.id, role=Role.MENTOR))
    await db.commit()
    # An invitation bound to the same GitHub id (made before the account existed) to cohorts A and B.
    pending = await invite(db, world, "now-called-this", "b", Role.LEARNER, github_id=104)
    db.add(Membership(cohort_id=world.cohort_a.id, user_id=pending.id, role=Role.LEARNER))
    await db.commit()

    user = await sign_in(db, 104, "now-called-this")

    assert user.id == account.id
    assert user.login == "now-called-this"
    assert await db.get(User, pending.id, populate_existing=True) is None, "the invite is gone"
    # Cohort B moved over; in cohort A the account's own (mentor) membership wins over the invite's.
    assert await roles_of(db, user) == {world.cohort_a.id: Role.MENTOR, world.cohort_b.id: Role.LEARNER}


async def test_login_recycled_by_github_is_freed_from_its_old_holder(db: AsyncSession) -> None:
    old = await sign_in(db, 105, "octo")
    # GitHub let someone else take "octo" after its first owner renamed.
    newcomer = await sign_in(db, 106, "octo")
    assert newcomer.id != old.id
    assert newcomer.login == "octo"
    refreshed = await db.get(User, old.id, populate_existing=True)
    assert refreshed is not None
    assert refreshed.login == "octo~105", "freed until its owner signs in again"
    corrected = await sign_in(db, 105, "octo-renamed")
    assert corrected.id == old.id
    assert corrected.login == "octo-renamed"


async def test_an_invite_is_never_claimed_by_login(db: AsyncSession, world: World) -> None:
    """Another GitHub account holding the invited login signs in: a new account, no memberships;
    the invitation keeps waiting for its own id, under a freed login."""
    pending = await invite(db, world, "wanted", "a", Role.INSTRUCTOR, github_id=107)
    stranger = await sign_in(db, 108, "wanted")
    assert stranger.id != pending.id
    assert await roles_of(db, stranger) == {}
    waiting = await db.get(User, pending.id, populate_existing=True)
    assert waiting is not None
    assert (waiting.github_id, waiting.login) == (None, "wanted~107")
    owner = await sign_in(db, 107, "wanted-now")
    assert owner.id == pending.id
    assert await roles_of(db, owner) == {world.cohort_a.id: Role.INSTRUCTOR}


async def test_invites_from_before_ids_were_recorded_are_not_claimable(
    db: AsyncSession, world: World
) -> None:
    legacy = User(login="legacy-invite")
    db.add(legacy)
    await db.flush()
    db.add(Membership(cohort_id=world.cohort_a.id, user_id=legacy.id, role=Role.INSTRUCTOR))
    await db.commit()
    user = await sign_in(db, 109, "legacy-invite")
    assert user.id != legacy.id
    assert await roles_of(db, user) == {}
