"""Request and response shapes for users and API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec

from cohort.domain.common import NOT_BLANK, TimeZoneName, Trimmed

GitHubLogin = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$",
        description="A GitHub login (letters, digits, single hyphens; at most 39 characters).",
        examples=["octocat"],
    ),
]


DisplayName = Annotated[str, msgspec.Meta(min_length=1, max_length=255, pattern=NOT_BLANK)]


class UserRead(msgspec.Struct):
    id: UUID
    github_id: int | None
    login: str
    name: str | None
    email: str | None
    avatar_url: str | None
    time_zone: str
    is_admin: bool
    created_at: datetime


class MembershipSummary(msgspec.Struct):
    cohort_id: UUID
    role: str


class MeRead(UserRead):
    memberships: list[MembershipSummary] = []


class ProfileUpdate(Trimmed, forbid_unknown_fields=True):
    """What users may change about themselves."""

    trimmed = ("name",)

    name: DisplayName | msgspec.UnsetType = msgspec.UNSET
    time_zone: TimeZoneName | msgspec.UnsetType = msgspec.UNSET


class AdminUserUpdate(msgspec.Struct, forbid_unknown_fields=True):
    is_admin: bool


class ApiTokenCreate(Trimmed, forbid_unknown_fields=True):
    trimmed = ("name",)
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=NOT_BLANK)]
    expires_in_days: (
        Annotated[
            int,
            msgspec.Meta(
                ge=1,
                le=3660,
                description="Days until the token expires: at most API_TOKEN_MAX_DAYS (366 unless "
                "configured otherwise); null (never) only where that setting is 0.",
            ),
        ]
        | None
    ) = 90


class ApiTokenRead(msgspec.Struct):
    id: UUID
    name: str
    token_prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiTokenCreated(ApiTokenRead):
    """Returned once, at creation: the only time the secret is shown."""

    token: str = ""


class GitHubProfile(msgspec.Struct):
    """The fields of GitHub's ``/user`` the service keeps."""

    id: int
    login: str
    name: str | None = None
    email: str | None = None
    avatar_url: str | None = None
