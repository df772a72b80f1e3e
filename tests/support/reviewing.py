"""Writing reviews the way a reviewer does (through the REST API), for tests that need one written
by someone else: the events, grades and releases that follow are the real ones."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from cohort.domain.projects.models import RubricCriterion
from tests.support.rest import Api, Client


def review_body(
    criteria: Sequence[RubricCriterion], points: Sequence[int], comment: str = ""
) -> dict[str, Any]:
    return {
        "scores": [
            {"criterion_id": str(c.id), "points": p, "comment": f"{comment} {c.position}".strip()}
            for c, p in zip(criteria, points, strict=True)
        ],
        "overall_comment": comment,
    }


async def write_review(
    client: Client,
    headers: dict[str, str],
    review_id: UUID,
    criteria: Sequence[RubricCriterion],
    points: Sequence[int],
    comment: str = "",
) -> dict[str, Any]:
    """``PUT /reviews/{id}`` as the reviewer (``headers``); the review as they see it."""
    body: dict[str, Any] = await Api(client, headers).expect(
        200, "PUT", f"/api/v1/reviews/{review_id}", json=review_body(criteria, points, comment)
    )
    return body
