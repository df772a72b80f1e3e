"""Authorization matrix for projects, submissions, reviews, grades, the gradebook and progress.

Same callers and rules as ``tests/test_authorization_matrix.py``, on the ``ProjectWorld`` (see
``tests/support/world.py``): the learner of cohort A has submitted ``project``, reviews peer1's work
(``by_learner``, pending), has received two reviews (released, since k=2 are in) and so may rate and
flag them, but not yet see their grade. Personal acts (submitting, writing a review, rating one)
are the learner's own: staff, even admins, get 403.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support.matrix import (
    Case,
    Expect,
    Ids,
    check_case,
    check_hidden,
    hidden_params,
    matrix_params,
    sees,
)
from tests.support.rest import Client
from tests.support.world import ProjectWorld, World

STAFF = ("mentor", "instructor", "admin")
SUBMISSIONS_A = {"sub_learner", "sub_peer1", "sub_peer2", "sub_peer3"}
REVIEWS_A = {"by_learner", "of_learner", "of_learner_2", "peer3_of_peer2", "peer1_of_peer3"}


def staff_see(names: set[str], **others: set[str]) -> dict[str, frozenset[str]]:
    return sees(**dict.fromkeys(STAFF, names), **others)


def new_project(ids: Ids) -> dict[str, Any]:
    return {
        "title": "Search API",
        "opens_at": "2030-01-06T09:00:00Z",
        "due_at": "2030-01-13T17:00:00Z",
        "review_due_at": "2030-01-20T17:00:00Z",
    }


def rubric(ids: Ids) -> dict[str, Any]:
    return {
        "criteria": [{"title": "Tests", "max_points": 5}, {"title": "Design", "max_points": 3, "weight": 2}]
    }


def submission(ids: Ids) -> dict[str, Any]:
    return {"repo_url": "https://github.com/learner/blog-api", "commit_sha": "a" * 40, "note": "v1"}


def review(ids: Ids) -> dict[str, Any]:
    return {
        "scores": [
            {"criterion_id": ids["criterion_1"], "points": 7, "comment": "solid"},
            {"criterion_id": ids["criterion_2"], "points": 3},
        ],
        "overall_comment": "Nice work",
    }


# fmt: off
CASES: list[Case] = [
    # method   path                                                anon lrnr othr mntr inst admn outs
    # -- projects: members read (learners: once opened); instructors write
    Case("GET",    "/cohorts/{a}/projects",                  Expect(401, 200, 404, 200, 200, 200, 404),
         sees=staff_see({"project", "open_project", "later_project"}, learner={"project", "open_project"})),
    Case("GET",    "/cohorts/{b}/projects",                  Expect(401, 404, 200, 404, 404, 200, 404),
         sees=sees(other_learner={"project_b"}, admin={"project_b"})),
    Case("POST",   "/cohorts/{a}/projects",                  Expect(401, 403, 404, 403, 201, 201, 404),
         body=new_project),
    Case("GET",    "/projects/{project}",                    Expect(401, 200, 404, 200, 200, 200, 404)),
    Case("GET",    "/projects/{later_project}",              Expect(401, 404, 404, 200, 200, 200, 404)),
    Case("GET",    "/projects/{project_b}",                  Expect(401, 404, 200, 404, 404, 200, 404)),
    Case("PATCH",  "/projects/{project}",                    Expect(401, 403, 404, 403, 200, 200, 404),
         body=lambda ids: {"title": "Todo API (v2)", "reviews_per_submission": 3}),
    Case("PATCH",  "/projects/{later_project}",              Expect(401, 404, 404, 403, 200, 200, 404),
         body=lambda ids: {"brief_markdown": "# Capstone"}),
    # project has submissions: the instructor passes authorization and meets the 409 business rule
    Case("DELETE", "/projects/{project}",                    Expect(401, 403, 404, 403, 409, 409, 404)),
    Case("DELETE", "/projects/{later_project}",              Expect(401, 404, 404, 403, 204, 204, 404)),
    Case("GET",    "/projects/{project}/rubric",             Expect(401, 200, 404, 200, 200, 200, 404)),
    # reviews were submitted against project's rubric: locked (409)
    Case("PUT",    "/projects/{project}/rubric",             Expect(401, 403, 404, 403, 409, 409, 404),
         body=rubric, echoes=False),
    Case("PUT",    "/projects/{later_project}/rubric",       Expect(401, 404, 404, 403, 200, 200, 404),
         body=rubric, echoes=False),
    # -- extensions: staff see all, learners their own; instructors grant
    Case("GET",    "/projects/{project}/extensions",         Expect(401, 200, 404, 200, 200, 200, 404),
         sees=staff_see({"extension_learner", "extension_peer3"}, learner={"extension_learner"})),
    Case("PUT",    "/projects/{project}/extensions/{user_peer3}", Expect(401, 403, 404, 403, 200, 200, 404),
         body=lambda ids: {"due_at": "2030-01-01T09:00:00Z", "reason": "family emergency"}),
    Case("DELETE", "/projects/{project}/extensions/{user_peer3}", Expect(401, 403, 404, 403, 204, 204, 404)),
    # -- submissions: staff see all; learners their own (and, one by one, those they review)
    Case("GET",    "/projects/{project}/submissions",        Expect(401, 200, 404, 200, 200, 200, 404),
         sees=staff_see(SUBMISSIONS_A, learner={"sub_learner"})),
    # submitting is personal: only learners of the cohort, for themselves
    Case("POST",   "/projects/{open_project}/submissions",   Expect(401, 201, 404, 403, 403, 403, 404),
         body=submission, echoes=False),
    # project's hard close has passed
    Case("POST",   "/projects/{project}/submissions",        Expect(401, 422, 404, 403, 403, 403, 404),
         body=submission, echoes=False),
    Case("GET",    "/projects/{project}/submissions/me",     Expect(401, 200, 404, 404, 404, 404, 404),
         returns="sub_learner"),
    Case("GET",    "/submissions/{sub_learner}",             Expect(401, 200, 404, 200, 200, 200, 404)),
    Case("GET",    "/submissions/{sub_peer1}",               Expect(401, 200, 404, 200, 200, 200, 404)),
    Case("GET",    "/submissions/{sub_peer2}",               Expect(401, 404, 404, 200, 200, 200, 404)),
    Case("GET",    "/submissions/{sub_b}",                   Expect(401, 404, 200, 404, 404, 200, 404)),
    Case("GET",    "/submissions/{sub_learner}/versions",    Expect(401, 200, 404, 200, 200, 200, 404),
         sees=staff_see({"version_learner"}, learner={"version_learner"})),
    # a reviewer sees the version under review, not the history
    Case("GET",    "/submissions/{sub_peer1}/versions",      Expect(401, 403, 404, 200, 200, 200, 404),
         sees=staff_see({"version_peer1"})),
    # -- reviews a submission received: the author once released; staff; never a reviewer
    Case("GET",    "/submissions/{sub_learner}/reviews",     Expect(401, 200, 404, 200, 200, 200, 404),
         sees=staff_see({"of_learner", "of_learner_2"}, learner={"of_learner", "of_learner_2"})),
    Case("GET",    "/submissions/{sub_peer1}/reviews",       Expect(401, 403, 404, 200, 200, 200, 404),
         sees=staff_see({"by_learner"})),
    # -- grades: the learner's review is pending, so "review to be graded" withholds their grade
    Case("GET",    "/submissions/{sub_learner}/grade",       Expect(401, 403, 404, 200, 200, 200, 404)),
    Case("GET",    "/submissions/{sub_peer1}/grade",         Expect(401, 403, 404, 200, 200, 200, 404)),
    Case("PUT",    "/submissions/{sub_learner}/grade/override", Expect(401, 403, 404, 403, 200, 200, 404),
         body=lambda ids: {"grade": 88.5, "reason": "Regraded after appeal"}, echoes=False),
    # -- allocation and exclusions: instructors run and declare; staff read
    Case("POST",   "/projects/{project}/allocation",         Expect(401, 403, 404, 403, 200, 200, 404),
         body=lambda ids: {"seed": 7}),
    Case("GET",    "/projects/{project}/allocation",         Expect(401, 403, 404, 200, 200, 200, 404)),
    Case("GET",    "/projects/{project}/exclusions",         Expect(401, 403, 404, 200, 200, 200, 404),
         sees=staff_see({"exclusion"})),
    Case("POST",   "/projects/{project}/exclusions",         Expect(401, 403, 404, 403, 201, 201, 404),
         body=lambda ids: {"user_ids": [ids["user_learner"], ids["user_peer1"]], "reason": "pair"},
         echoes=False),
    Case("DELETE", "/exclusions/{exclusion}",                Expect(401, 403, 404, 403, 204, 204, 404)),
    # -- reviews
    Case("GET",    "/me/reviews",                            Expect(401, 200, 200, 200, 200, 200, 200),
         sees=sees(learner={"by_learner"}, other_learner=set(), mentor=set(), instructor=set(), admin=set(),
                   outsider=set())),
    Case("GET",    "/projects/{project}/reviews",            Expect(401, 403, 404, 200, 200, 200, 404),
         sees=staff_see(REVIEWS_A)),
    Case("GET",    "/projects/{project}/reviewer-accuracy",  Expect(401, 403, 404, 403, 200, 200, 404)),
    Case("GET",    "/reviews/{by_learner}",                  Expect(401, 200, 404, 200, 200, 200, 404)),
    # the author reads a released, submitted review of their work (anonymised)
    Case("GET",    "/reviews/{of_learner}",                  Expect(401, 200, 404, 200, 200, 200, 404)),
    Case("GET",    "/reviews/{peer3_of_peer2}",              Expect(401, 404, 404, 200, 200, 200, 404)),
    # pending: not even its author sees it
    Case("GET",    "/reviews/{review_b}",                    Expect(401, 404, 404, 404, 404, 200, 404)),
    Case("PUT",    "/reviews/{by_learner}",                  Expect(401, 200, 404, 403, 403, 403, 404),
         body=review, echoes=False),
    Case("PUT",    "/reviews/{of_learner}/helpfulness",      Expect(401, 200, 404, 403, 403, 403, 404),
         body=lambda ids: {"rating": 4}, echoes=False),
    Case("PUT",    "/reviews/{of_learner}/flag",             Expect(401, 200, 404, 403, 403, 403, 404),
         body=lambda ids: {"reason": "Unkind comments"}, echoes=False),
    Case("DELETE", "/reviews/{of_learner_2}/flag",           Expect(401, 204, 404, 403, 204, 204, 404)),
    # -- gradebook and progress
    Case("GET",    "/cohorts/{a}/gradebook",                 Expect(401, 200, 404, 200, 200, 200, 404)),
    Case("GET",    "/cohorts/{a}/progress",                  Expect(401, 403, 404, 200, 200, 200, 404)),
    Case("GET",    "/me/progress",                           Expect(401, 200, 200, 200, 200, 200, 200)),
]
# fmt: on


@pytest.fixture
def targets(world: World, project_world: ProjectWorld) -> dict[str, str]:
    pw = project_world
    ids: dict[str, Any] = {
        "a": world.cohort_a.id,
        "b": world.cohort_b.id,
        "project": pw.project.id,
        "open_project": pw.open_project.id,
        "later_project": pw.later_project.id,
        "project_b": pw.project_b.id,
        "exclusion": pw.exclusion.id,
        **{f"user_{name}": user.id for name, user in {**world.users, **pw.peers}.items()},
        **{f"sub_{name}": s.id for name, s in pw.submissions.items()},
        **{f"version_{name}": v.id for name, v in pw.versions.items()},
        **{f"extension_{name}": e.id for name, e in pw.extensions.items()},
        **{f"criterion_{c.position}": c.id for c in pw.criteria},
        **{name: r.id for name, r in pw.reviews.items()},
    }
    return {name: str(value) for name, value in ids.items()}


@pytest.mark.parametrize(("case", "caller"), matrix_params(CASES))
async def test_projects_authorization_matrix(
    client: Client, world: World, targets: dict[str, str], engine: AsyncEngine, case: Case, caller: str
) -> None:
    """Status as in the matrix; lists hold exactly what the caller may see; refused writes change nothing."""
    await check_case(client, engine, case, caller, targets, world.headers[caller])


@pytest.mark.parametrize(("case", "caller"), hidden_params(CASES))
async def test_hidden_project_objects_look_like_missing_ones(
    client: Client, world: World, targets: dict[str, str], case: Case, caller: str
) -> None:
    await check_hidden(client, case, targets, world.headers[caller])
