"""user login search index (trigram)

The admin user search (``login ILIKE '%text%'``) scanned every user: 74 ms at 100,000 users in
bench/scale.py. A trigram GIN index answers it from the index. Built CONCURRENTLY, outside the
migration's transaction, so sign-ins and writes to ``users`` are not blocked while it builds.

Revision ID: 5c0a7e2d91f3
Revises: fe141d1e3e80
Create Date: 2026-11-26 08:15:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "5c0a7e2d91f3"
down_revision: str | None = "fe141d1e3e80"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    with op.get_context().autocommit_block():
        op.create_index(
            "ix_users_login_trgm",
            "users",
            ["login"],
            unique=False,
            postgresql_using="gin",
            postgresql_ops={"login": "gin_trgm_ops"},
            postgresql_concurrently=True,
            if_not_exists=True,
        )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index("ix_users_login_trgm", table_name="users", postgresql_concurrently=True, if_exists=True)
    # pg_trgm stays: other objects may use it, and it costs nothing unused
