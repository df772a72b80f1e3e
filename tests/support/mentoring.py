"""Mentoring on top of a :class:`tests.support.world.World`: profiles, mentorships, check-ins,
a pin/forbid rule and a pairing preview in each cohort.

Cohort A: ``mentor`` (capacity 3) mentors ``learner`` (``ms``, active, check-in ``ci``); ``mentor2``
(capacity 2) mentors ``peer`` (``ms_peer``, check-in ``ci_peer``) and used to mentor ``learner``
(``ms_old``, ended, kept as history). ``free`` is a learner with a profile and no mentor. A forbid
rule (``rule``: peer must not get mentor) and a valid preview ``run``.
Cohort B: ``mentor_b`` mentors ``other_learner`` (``ms_b``, check-in ``ci_b``); a preview ``run_b``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from cohort.domain.cohorts.models import Membership
from cohort.domain.identity.models import User
from cohort.domain.mentoring.enums import EndReason, ProgressSignal, RuleKind
from cohort.domain.mentoring.models import (
    CheckIn,
    LearnerProfile,
    MentorProfile,
    Mentorship,
    PairingRule,
    PairingRun,
)
from cohort.domain.mentoring.pairing import PairingService
from cohort.domain.mentoring.schemas import PairingRunCreate
from cohort.domain.roles import Role
from cohort.security.actor import SYSTEM_ACTOR
from tests.support.world import World, bearer, make_user

EVENINGS = [{"weekday": day, "start": "18:00", "end": "21:00"} for day in range(5)]


def mentor_profile(cohort_id: object, user: User, capacity: int, **fields: object) -> MentorProfile:
    values: dict[str, object] = {
        "cohort_id": cohort_id,
        "user_id": user.id,
        "capacity": capacity,
        "time_zone": "Europe/Madrid",
        "skills": [{"tag": "python", "level": 4}, {"tag": "sql", "level": 3}],
        "languages": ["en", "es"],
        "windows": EVENINGS,
        **fields,
    }
    return MentorProfile(**values)


def learner_profile(cohort_id: object, user: User, **fields: object) -> LearnerProfile:
    values: dict[str, object] = {
        "cohort_id": cohort_id,
        "user_id": user.id,
        "time_zone": "Europe/Madrid",
        "goals": [{"tag": "python", "target_level": 3, "priority": 2}],
        "languages": ["es"],
        "windows": EVENINGS,
        "prefer": [],
        "avoid": [],
        **fields,
    }
    return LearnerProfile(**values)


@dataclass
class MentoringWorld:
    people: dict[str, User]
    mentor_profiles: dict[str, MentorProfile]
    learner_profiles: dict[str, LearnerProfile]
    mentorships: dict[str, Mentorship]
    check_ins: dict[str, CheckIn]
    rule: PairingRule
    runs: dict[str, PairingRun]
    headers: dict[str, dict[str, str]] = field(default_factory=dict)


async def build_mentoring_world(db: AsyncSession, world: World) -> MentoringWorld:
    now = datetime.now(UTC)
    a, b = world.cohort_a.id, world.cohort_b.id
    extra = {
        name: await make_user(db, name.replace("_", "-")) for name in ("mentor2", "peer", "free", "mentor_b")
    }
    db.add_all(
        [
            Membership(cohort_id=a, user_id=extra["mentor2"].id, role=Role.MENTOR),
            Membership(cohort_id=a, user_id=extra["peer"].id, role=Role.LEARNER),
            Membership(cohort_id=a, user_id=extra["free"].id, role=Role.LEARNER),
            Membership(cohort_id=b, user_id=extra["mentor_b"].id, role=Role.MENTOR),
        ]
    )
    people = {**world.users, **extra}
    mentor_profiles = {
        "mentor": mentor_profile(a, people["mentor"], 3),
        "mentor2": mentor_profile(a, people["mentor2"], 2, languages=["en"]),
        "mentor_b": mentor_profile(b, people["mentor_b"], 2),
    }
    learner_profiles = {
        "learner": learner_profile(a, people["learner"]),
        "peer": learner_profile(a, people["peer"]),
        "free": learner_profile(a, people["free"], languages=["en"]),
        "other_learner": learner_profile(b, people["other_learner"]),
    }
    db.add_all([*mentor_profiles.values(), *learner_profiles.values()])
    started = now - timedelta(days=20)
    mentorships = {
        "ms_old": Mentorship(
            cohort_id=a, mentor_id=people["mentor2"].id, learner_id=people["learner"].id,
            started_at=started - timedelta(days=10), ended_at=started, end_reason=EndReason.TRANSFERRED,
        ),
        "ms": Mentorship(
            cohort_id=a, mentor_id=people["mentor"].id, learner_id=people["learner"].id, started_at=started
        ),
        "ms_peer": Mentorship(
            cohort_id=a, mentor_id=people["mentor2"].id, learner_id=people["peer"].id, started_at=started
        ),
        "ms_b": Mentorship(
            cohort_id=b, mentor_id=people["mentor_b"].id, learner_id=people["other_learner"].id,
            started_at=started,
        ),
    }  # fmt: skip
    db.add_all(mentorships.values())
    await db.flush()

    def check_in(name: str, held: date, signal: ProgressSignal, notes: str, steps: str) -> CheckIn:
        ms = mentorships[name]
        return CheckIn(
            mentorship_id=ms.id, cohort_id=ms.cohort_id, mentor_id=ms.mentor_id, learner_id=ms.learner_id,
            held_on=held, signal=signal, notes=notes, next_steps=steps,
        )  # fmt: skip

    today = now.date()
    check_ins = {
        "ci": check_in(
            "ms", today - timedelta(days=3), ProgressSignal.NEEDS_HELP, "struggles with SQL", "Read ch. 3"
        ),
        "ci_peer": check_in("ms_peer", today, ProgressSignal.ON_TRACK, "fine", "Keep going"),
        "ci_b": check_in("ms_b", today, ProgressSignal.ON_TRACK, "ok", "Ship it"),
    }
    db.add_all(check_ins.values())
    rule = PairingRule(
        cohort_id=a,
        learner_id=people["peer"].id,
        mentor_id=people["mentor"].id,
        kind=RuleKind.FORBID,
        reason="x",
    )
    db.add(rule)
    await db.flush()
    service = PairingService(session=db)
    runs = {
        "run": await service.preview_for(SYSTEM_ACTOR, a, PairingRunCreate()),
        "run_b": await service.preview_for(SYSTEM_ACTOR, b, PairingRunCreate()),
    }
    headers = {name: await bearer(db, user) for name, user in extra.items()}
    await db.commit()
    return MentoringWorld(
        people=people,
        mentor_profiles=mentor_profiles,
        learner_profiles=learner_profiles,
        mentorships=mentorships,
        check_ins=check_ins,
        rule=rule,
        runs=runs,
        headers=headers,
    )


def mentoring_object_ids(world: World, mw: MentoringWorld) -> dict[str, str]:
    ids: dict[str, object] = {
        "a": world.cohort_a.id,
        "b": world.cohort_b.id,
        "rule": mw.rule.id,
        **{f"user_{name}": user.id for name, user in mw.people.items()},
        **{name: m.id for name, m in mw.mentorships.items()},
        **{name: c.id for name, c in mw.check_ins.items()},
        **{name: r.id for name, r in mw.runs.items()},
        **{f"mp_{name}": p.id for name, p in mw.mentor_profiles.items()},
        **{f"lp_{name}": p.id for name, p in mw.learner_profiles.items()},
    }
    return {name: str(value) for name, value in ids.items()}
