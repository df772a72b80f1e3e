"""Identity: a per-user session epoch (revocable sign-in) and the GitHub id an invitation is bound to.

Revision ID: 5e55c0a7e1d2
Revises: 25904d7664e0
Create Date: 2026-11-26 08:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5e55c0a7e1d2"
down_revision: str | None = "25904d7664e0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("users", sa.Column("session_epoch", sa.Integer(), server_default="0", nullable=False))
    # invitations made before this revision name only a login: they stay pending and can no longer
    # be claimed by whoever holds that login (invite again to bind them to a GitHub id)
    op.add_column("users", sa.Column("invited_github_id", sa.BigInteger(), nullable=True))
    op.create_unique_constraint(op.f("uq_users_invited_github_id"), "users", ["invited_github_id"])


def downgrade() -> None:
    op.drop_constraint(op.f("uq_users_invited_github_id"), "users", type_="unique")
    op.drop_column("users", "invited_github_id")
    op.drop_column("users", "session_epoch")
