"""Stored profiles as the pairing engine's input, and the checks every profile write passes.

Profiles keep their lists as JSON in the wire shapes (``schemas``); this module is the one place
that turns them into engine structs, so a preview and the staleness check at apply time read the
cohort the same way.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import time
from typing import Any

from cohort.domain.common import ensure_time_zone
from cohort.domain.mentoring import engine
from cohort.domain.mentoring.availability import AvailabilityError, check_window
from cohort.domain.mentoring.models import LearnerProfile, MentorProfile
from cohort.domain.mentoring.schemas import Goal, Skill, Window
from cohort.errors import RuleViolation


def _refuse(key: str, message: str, detail: str) -> RuleViolation:
    return RuleViolation(detail, extra=[{"key": key, "message": message}])


def window_of(raw: dict[str, Any]) -> engine.WeeklyWindow:
    return engine.WeeklyWindow(
        weekday=int(raw["weekday"]),
        start=time.fromisoformat(raw["start"]),
        end=time.fromisoformat(raw["end"]),
    )


def check_windows(windows: Sequence[Window], key: str = "windows") -> list[dict[str, Any]]:
    rows = []
    for index, window in enumerate(windows):
        raw = {"weekday": window.weekday, "start": window.start, "end": window.end}
        try:
            check_window(window_of(raw))
        except AvailabilityError as exc:
            raise _refuse(f"{key}[{index}]", str(exc), "a weekly window is not valid") from exc
        rows.append(raw)
    return rows


def unique_tags(tags: Sequence[str], key: str) -> None:
    seen: set[str] = set()
    for index, tag in enumerate(tags):
        folded = tag.strip().lower()
        if folded in seen:
            raise _refuse(f"{key}[{index}].tag", "each tag at most once", f"the tag {tag!r} is listed twice")
        seen.add(folded)


def languages(values: Sequence[str]) -> list[str]:
    return sorted({value.strip().lower() for value in values})


def mentor_fields(
    capacity: int, time_zone: str, skills: Sequence[Skill], langs: Sequence[str], windows: Sequence[Window]
) -> dict[str, Any]:
    """The stored columns of a valid mentor profile (422 with the field otherwise)."""
    ensure_time_zone(time_zone)
    unique_tags([s.tag for s in skills], "skills")
    return {
        "capacity": capacity,
        "time_zone": time_zone,
        "skills": [{"tag": s.tag.lower(), "level": s.level} for s in skills],
        "languages": languages(langs),
        "windows": check_windows(windows),
    }


def learner_fields(
    time_zone: str,
    goals: Sequence[Goal],
    langs: Sequence[str],
    windows: Sequence[Window],
    prefer: Sequence[uuid.UUID],
    avoid: Sequence[uuid.UUID],
) -> dict[str, Any]:
    """The stored columns of a valid learner profile (``prefer``/``avoid`` are checked by the caller)."""
    ensure_time_zone(time_zone)
    unique_tags([g.tag for g in goals], "goals")
    both = set(prefer) & set(avoid)
    if both:
        raise _refuse(
            "avoid", "must not name a preferred mentor", "a mentor cannot be both preferred and avoided"
        )
    return {
        "time_zone": time_zone,
        "goals": [
            {"tag": g.tag.lower(), "target_level": g.target_level, "priority": g.priority} for g in goals
        ],
        "languages": languages(langs),
        "windows": check_windows(windows),
        "prefer": sorted(str(i) for i in set(prefer)),
        "avoid": sorted(str(i) for i in set(avoid)),
    }


def mentor_input(profile: MentorProfile) -> engine.MentorProfile:
    return engine.MentorProfile(
        id=profile.user_id,
        capacity=profile.capacity,
        timezone=profile.time_zone,
        skills=tuple(engine.SkillLevel(s["tag"], int(s["level"])) for s in profile.skills),
        languages=tuple(profile.languages),
        windows=tuple(window_of(w) for w in profile.windows),
    )


def learner_input(profile: LearnerProfile, mentor_ids: set[uuid.UUID]) -> engine.LearnerProfile:
    """Preferences naming someone who is not a mentor of the run are dropped (they left the cohort)."""
    return engine.LearnerProfile(
        id=profile.user_id,
        timezone=profile.time_zone,
        goals=tuple(
            engine.Goal(g["tag"], g.get("target_level"), int(g.get("priority", 1))) for g in profile.goals
        ),
        languages=tuple(profile.languages),
        windows=tuple(window_of(w) for w in profile.windows),
        prefer=tuple(i for i in map(uuid.UUID, profile.prefer) if i in mentor_ids),
        avoid=tuple(i for i in map(uuid.UUID, profile.avoid) if i in mentor_ids),
    )
