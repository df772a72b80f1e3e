"""The profile CSV of a cohort: parsing and per-row checks, without I/O.

One header line, then one row per person (``README.md``, Mentoring: CSV format)::

    kind,login,time_zone,languages,windows,capacity,skills,goals,prefer,avoid
    mentor,ada,Europe/Madrid,en;es,mon 18:00-20:00;wed 09:00-11:00,3,python:4;sql:2,,,
    learner,bo,America/Bogota,es,tue 19:00-21:00,,,python:3:2;sql,ada,

Lists are separated by ``;``. A window is ``<day> HH:MM-HH:MM`` (days ``mon``..``sun``); a skill
``tag:level``; a goal ``tag[:target_level[:priority]]``; ``prefer`` and ``avoid`` name mentors by
login. Errors name the line (the header is line 1) and the column.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Any

import msgspec

from cohort.domain.mentoring.schemas import Goal, Skill, Window

COLUMNS = (
    "kind",
    "login",
    "time_zone",
    "languages",
    "windows",
    "capacity",
    "skills",
    "goals",
    "prefer",
    "avoid",
)
REQUIRED = ("kind", "login", "time_zone")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_ROWS = 5000
MAX_BYTES = 2 * 1024 * 1024
_WINDOW = re.compile(r"^(mon|tue|wed|thu|fri|sat|sun)\s+(\d\d:\d\d)\s*-\s*(\d\d:\d\d)$", re.IGNORECASE)


class RowError(Exception):
    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key
        self.message = message


@dataclass
class ProfileRow:
    """One parsed line; the service resolves logins and checks the rest with the profile rules."""

    line: int
    kind: str
    login: str
    time_zone: str
    languages: list[str]
    windows: list[Window]
    capacity: int = 0
    skills: list[Skill] = field(default_factory=list)
    goals: list[Goal] = field(default_factory=list)
    prefer: list[str] = field(default_factory=list)
    avoid: list[str] = field(default_factory=list)


def error(line: int, key: str, message: str) -> dict[str, Any]:
    """One entry of the refusal's ``extra``; the message names the line too (GraphQL keeps only it)."""
    return {"line": line, "key": key, "message": f"line {line}: {message}"}


def _items(value: str) -> list[str]:
    return [item.strip() for item in value.split(";") if item.strip()]


def _convert(value: Any, kind: type[Any], key: str) -> Any:
    try:
        return msgspec.convert(value, kind)
    except msgspec.ValidationError as exc:
        raise RowError(key, str(exc)) from exc


def _windows(value: str) -> list[Window]:
    windows = []
    for item in _items(value):
        match = _WINDOW.match(item)
        if match is None:
            raise RowError("windows", f"{item!r} is not '<mon..sun> HH:MM-HH:MM'")
        day, start, end = match.groups()
        windows.append(
            _convert({"weekday": DAYS.index(day.lower()), "start": start, "end": end}, Window, "windows")
        )
    return windows


def _skills(value: str) -> list[Skill]:
    skills = []
    for item in _items(value):
        tag, _, level = item.partition(":")
        if not level.isdigit():
            raise RowError("skills", f"{item!r} is not 'tag:level'")
        skills.append(_convert({"tag": tag, "level": int(level)}, Skill, "skills"))
    return skills


def _goals(value: str) -> list[Goal]:
    goals = []
    for item in _items(value):
        parts = item.split(":")
        if len(parts) > 3 or not all(p.isdigit() for p in parts[1:]) or any(p == "" for p in parts):
            raise RowError("goals", f"{item!r} is not 'tag[:target_level[:priority]]'")
        raw: dict[str, Any] = {"tag": parts[0]}
        if len(parts) > 1:
            raw["target_level"] = int(parts[1])
        if len(parts) > 2:
            raw["priority"] = int(parts[2])
        goals.append(_convert(raw, Goal, "goals"))
    return goals


def _row(line: int, values: dict[str, str]) -> ProfileRow:
    for key in REQUIRED:
        if not values.get(key, "").strip():
            raise RowError(key, "required")
    kind = values["kind"].strip().lower()
    if kind not in ("mentor", "learner"):
        raise RowError("kind", "must be mentor or learner")
    languages = _convert(_items(values.get("languages", "")), list[str], "languages")
    row = ProfileRow(
        line=line,
        kind=kind,
        login=values["login"].strip(),
        time_zone=values["time_zone"].strip(),
        languages=languages,
        windows=_windows(values.get("windows", "")),
    )
    if kind == "mentor":
        capacity = values.get("capacity", "").strip()
        if not capacity.isdigit() or not 0 <= int(capacity) <= 100:
            raise RowError("capacity", "a mentor needs a capacity from 0 to 100")
        row.capacity = int(capacity)
        row.skills = _skills(values.get("skills", ""))
        for key in ("goals", "prefer", "avoid"):
            if values.get(key, "").strip():
                raise RowError(key, "only for learners")
    else:
        for key in ("capacity", "skills"):
            if values.get(key, "").strip():
                raise RowError(key, "only for mentors")
        row.goals = _goals(values.get("goals", ""))
        row.prefer = _items(values.get("prefer", ""))
        row.avoid = _items(values.get("avoid", ""))
    return row


def parse(text: str) -> tuple[list[ProfileRow], list[dict[str, Any]]]:
    """Every row, or the errors of every bad row (line, column key, message)."""
    try:
        return _parse(text)
    except csv.Error as exc:  # NUL bytes, unterminated quotes: the file itself is broken
        return [], [error(0, "file", f"not a readable CSV file: {exc}")]


def _parse(text: str) -> tuple[list[ProfileRow], list[dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip().lower() for name in reader.fieldnames or []]
    missing = [name for name in REQUIRED if name not in header]
    unknown = [name for name in header if name not in COLUMNS]
    if missing or unknown:
        message = "; ".join(
            part
            for part in (
                f"missing columns: {', '.join(missing)}" if missing else "",
                f"unknown columns: {', '.join(unknown)}" if unknown else "",
            )
            if part
        )
        return [], [error(1, "header", message or "no header")]
    reader.fieldnames = header
    rows: list[ProfileRow] = []
    errors: list[dict[str, Any]] = []
    logins: dict[str, int] = {}
    for values in reader:
        line = reader.line_num
        if len(rows) + len(errors) >= MAX_ROWS:
            return [], [error(line, "file", f"at most {MAX_ROWS} rows per import")]
        if None in values:
            errors.append(error(line, "row", "more values than columns"))
            continue
        try:
            row = _row(line, {k: v or "" for k, v in values.items()})
        except RowError as exc:
            errors.append(error(line, exc.key, exc.message))
            continue
        key = f"{row.kind}:{row.login.lower()}"
        if key in logins:
            errors.append(
                error(line, "login", f"{row.login} already has a {row.kind} row on line {logins[key]}")
            )
            continue
        logins[key] = line
        rows.append(row)
    if not rows and not errors:
        errors.append(error(1, "file", "no rows"))
    return rows, errors
