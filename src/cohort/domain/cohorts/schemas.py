"""Request and response shapes for programs, cohorts and memberships."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

import msgspec

from cohort.domain.cohorts.models import CohortStatus
from cohort.domain.common import NOT_BLANK, TimeZoneName, Trimmed
from cohort.domain.identity.schemas import GitHubLogin
from cohort.domain.roles import Role

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=NOT_BLANK)]
Slug = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", min_length=1, max_length=100)]


class ProgramRead(msgspec.Struct):
    id: UUID
    name: str
    slug: str
    description: str
    created_at: datetime
    updated_at: datetime


class ProgramCreate(Trimmed, forbid_unknown_fields=True):
    trimmed = ("name",)
    name: Name
    slug: Slug
    description: Annotated[str, msgspec.Meta(max_length=10_000)] = ""


class ProgramUpdate(Trimmed, forbid_unknown_fields=True):
    trimmed = ("name",)
    name: Name | msgspec.UnsetType = msgspec.UNSET
    slug: Slug | msgspec.UnsetType = msgspec.UNSET
    description: Annotated[str, msgspec.Meta(max_length=10_000)] | msgspec.UnsetType = msgspec.UNSET


class CohortRead(msgspec.Struct):
    id: UUID
    program_id: UUID
    name: str
    slug: str
    starts_on: date
    ends_on: date
    time_zone: str
    status: CohortStatus
    created_at: datetime
    updated_at: datetime


class CohortCreate(Trimmed, forbid_unknown_fields=True):
    trimmed = ("name",)
    program_id: UUID
    name: Name
    slug: Slug
    starts_on: date
    ends_on: date
    time_zone: TimeZoneName = "UTC"
    status: CohortStatus = CohortStatus.PLANNED


class CohortUpdate(Trimmed, forbid_unknown_fields=True):
    trimmed = ("name",)
    name: Name | msgspec.UnsetType = msgspec.UNSET
    slug: Slug | msgspec.UnsetType = msgspec.UNSET
    starts_on: date | msgspec.UnsetType = msgspec.UNSET
    ends_on: date | msgspec.UnsetType = msgspec.UNSET
    time_zone: TimeZoneName | msgspec.UnsetType = msgspec.UNSET
    status: CohortStatus | msgspec.UnsetType = msgspec.UNSET


class MemberUser(msgspec.Struct):
    id: UUID
    login: str
    name: str | None
    avatar_url: str | None
    time_zone: str
    pending: bool


class MembershipRead(msgspec.Struct):
    id: UUID
    cohort_id: UUID
    user_id: UUID
    role: Role
    user: MemberUser
    created_at: datetime


class MembershipCreated(msgspec.Struct):
    """What adding someone answers: the membership only. Who the person is (their profile, whether
    they have signed in yet) is for the members list, not for probing logins one POST at a time."""

    id: UUID
    cohort_id: UUID
    user_id: UUID
    role: Role
    created_at: datetime


class MembershipCreate(msgspec.Struct, forbid_unknown_fields=True):
    """Add a person by user id or by GitHub login (exactly one of the two).

    A login nobody has signed in with yet invites that person: they join on their first sign-in.
    """

    role: Role
    user_id: UUID | None = None
    login: GitHubLogin | None = None


class MembershipUpdate(msgspec.Struct, forbid_unknown_fields=True):
    role: Role
