"""People and their credentials."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cohort.db import Base


class User(Base):
    """A person known through GitHub; ``is_admin`` grants global staff rights.

    A user added to a cohort by GitHub login before ever signing in is *pending*: ``github_id`` is
    empty until their first sign-in with that login claims the record.
    """

    __tablename__ = "users"
    __table_args__ = (
        # login search is a substring match (ILIKE '%text%'); trigrams let it use an index
        Index(
            "ix_users_login_trgm", "login", postgresql_using="gin", postgresql_ops={"login": "gin_trgm_ops"}
        ),
    )

    github_id: Mapped[int | None] = mapped_column(BigInteger, unique=True, default=None)
    login: Mapped[str] = mapped_column(String(100), unique=True, index=True)
    name: Mapped[str | None] = mapped_column(String(255), default=None)
    email: Mapped[str | None] = mapped_column(String(320), default=None)
    avatar_url: Mapped[str | None] = mapped_column(String(500), default=None)
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)

    @property
    def pending(self) -> bool:
        """Invited by login, not signed in yet."""
        return self.github_id is None


class ApiToken(Base):
    """A personal bearer token; only its SHA-256 digest is stored."""

    __tablename__ = "api_tokens"

    user_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)

    user: Mapped[User] = relationship(lazy="raise")
