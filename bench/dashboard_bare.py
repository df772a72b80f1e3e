"""The bare app's answer to the learner dashboard query (``graphql/operations/learner_dashboard.graphql``).

No GraphQL engine: the one document the benchmark sends is answered by four hand-written
statements on one connection (caller, their cohorts, the latest released lessons of each, the
first members of each), built into the same JSON Cohort's GraphQL endpoint returns. Same rules:
a learner sees released lessons only; staff see all of their cohort's lessons.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import msgspec
from bare_app import POOL, STAFF, _caller
from litestar import Request, Response, post

LESSON_COUNT, MEMBER_COUNT = 10, 50

MEMBERSHIPS = """
SELECT m.role, c.id, c.name, c.slug, c.starts_on, c.ends_on, c.time_zone, c.status, p.id, p.name, p.slug
FROM memberships m JOIN cohorts c ON c.id = m.cohort_id JOIN programs p ON p.id = c.program_id
WHERE m.user_id = $1 ORDER BY m.created_at, m.id LIMIT 20
"""
LESSONS = """
SELECT cohort_id, id, position, title, release_at, objectives, total FROM (
  SELECT l.*, row_number() OVER (PARTITION BY cohort_id ORDER BY release_at DESC, id DESC) AS rank,
         count(*) OVER (PARTITION BY cohort_id) AS total
  FROM lessons l WHERE cohort_id = ANY($1::uuid[]) AND (release_at <= $2 OR cohort_id = ANY($3::uuid[]))
) ranked WHERE rank <= $4 ORDER BY cohort_id, rank
"""
MEMBERS = """
SELECT cohort_id, id, role, user_id, login, name, avatar_url, total FROM (
  SELECT m.cohort_id, m.id, m.role, u.id AS user_id, u.login, u.name, u.avatar_url,
         row_number() OVER (PARTITION BY m.cohort_id ORDER BY m.created_at, m.id) AS rank,
         count(*) OVER (PARTITION BY m.cohort_id) AS total
  FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.cohort_id = ANY($1::uuid[])
) ranked WHERE rank <= $2 ORDER BY cohort_id, rank
"""


def gid(kind: str, value: UUID) -> str:
    return base64.b64encode(f"{kind}:{value}".encode()).decode()


@post("/graphql", status_code=200)
async def dashboard(request: Request[Any, Any, Any]) -> Response[bytes]:
    async with POOL["db"].acquire() as conn:
        caller, me = await _caller(conn, request)
        cohorts = await conn.fetch(MEMBERSHIPS, caller.user_id)
        ids = [row[1] for row in cohorts]
        staff = [c for c, role in caller.roles.items() if role in STAFF]
        lessons = await conn.fetch(LESSONS, ids, datetime.now(UTC), staff, LESSON_COUNT)
        members = await conn.fetch(MEMBERS, ids, MEMBER_COUNT)
    lessons_of: dict[UUID, list[Any]] = {}
    for row in lessons:
        lessons_of.setdefault(row[0], []).append(row)
    members_of: dict[UUID, list[Any]] = {}
    for row in members:
        members_of.setdefault(row[0], []).append(row)
    edges = []
    for role, cid, name, slug, starts, ends, tz, status, pid, pname, pslug in cohorts:
        mine, people = lessons_of.get(cid, []), members_of.get(cid, [])
        edges.append({"node": {"role": role.upper(), "cohort": {
            "id": gid("Cohort", cid), "name": name, "slug": slug, "startsOn": starts.isoformat(),
            "endsOn": ends.isoformat(), "timeZone": tz, "status": status.upper(),
            "program": {"id": gid("Program", pid), "name": pname, "slug": pslug},
            "lessons": {"totalCount": mine[0][6] if mine else 0, "edges": [
                {"node": {"id": gid("Lesson", r[1]), "position": r[2], "title": r[3],
                          "releaseAt": r[4].isoformat(), "objectives": r[5]}} for r in mine]},
            "members": {"totalCount": people[0][7] if people else 0, "edges": [
                {"node": {"id": gid("Membership", r[1]), "role": r[2].upper(), "user": {
                    "id": gid("User", r[3]), "login": r[4], "name": r[5], "avatarUrl": r[6]}}}
                for r in people]},
        }}})  # fmt: skip
    user = {"id": gid("User", me[0]), "login": me[2], "name": me[3], "avatarUrl": me[5], "timeZone": me[6]}
    body = {"data": {"me": {"user": user, "memberships": {"totalCount": len(caller.roles), "edges": edges}}}}
    return Response(msgspec.json.encode(body), media_type="application/json")
