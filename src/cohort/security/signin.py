"""GitHub sign-in across areas: identity knows accounts, cohorts knows memberships.

Signing in can merge a pending invite (a user created by GitHub login before its owner ever
signed in) into the account that signs in, which moves cohort memberships. Identity sits below
cohorts and must not reach up into it, so the merge is orchestrated here, above both.

The cases, for a GitHub identity (id, login):
1. the id is known and nobody else holds the login: refresh that account;
2. the id is unknown and a pending invite holds the login: the invite becomes the account;
3. the id is known and a pending invite also holds the login (an instructor invited an existing
   user by a login they had just taken on GitHub): the invite's memberships move to the account
   and the invite goes;
4. another signed-in account holds the login (GitHub recycled it after a rename): that account's
   login is freed, then one of the cases above applies;
5. neither is known: a new account.
"""

from __future__ import annotations

from cohort.domain.cohorts.services import MembershipService
from cohort.domain.identity.models import User
from cohort.domain.identity.schemas import GitHubProfile
from cohort.domain.identity.services import UserService


async def sign_in_with_github(users: UserService, profile: GitHubProfile) -> User:
    """The account for ``profile`` after applying the cases above, flushed but not committed."""
    match = await users.match_github(profile)
    user = match.user
    if match.invite is not None:
        if user is None:
            user = match.invite
        else:
            await users.sibling(MembershipService).move_all(match.invite.id, user.id)
            await users.discard_invite(match.invite)
    return await users.record_sign_in(user, profile)
