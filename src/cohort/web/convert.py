"""Rows become response structs in one way: msgspec conversion from attributes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

import msgspec

T = TypeVar("T")


def to_schema(schema: type[T], row: Any) -> T:
    """``row`` (an ORM object or any attribute holder) as ``schema``."""
    return msgspec.convert(row, schema, from_attributes=True)


def to_schemas(schema: type[T], rows: Sequence[Any]) -> list[T]:
    return msgspec.convert(rows, list[schema], from_attributes=True)  # type: ignore[valid-type]
