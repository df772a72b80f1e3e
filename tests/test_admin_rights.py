"""Admin rights: the last admin cannot withdraw their own, and ``cohort admin grant`` restores one."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cohort.domain.identity.models import User
from tests.support.db import run_cli
from tests.support.rest import Client, assert_error
from tests.support.world import bearer, make_user


async def is_admin(db: AsyncSession, user: User) -> bool:
    await db.refresh(user)
    return user.is_admin


async def test_the_last_admin_cannot_demote_themselves(client: Client, db: AsyncSession) -> None:
    ada = await make_user(db, "ada", is_admin=True)
    headers = await bearer(db, ada)
    await db.commit()

    refused = await client.patch(f"/api/v1/users/{ada.id}", json={"is_admin": False}, headers=headers)

    body = assert_error(refused, 409, "conflict")
    assert "last admin" in body["detail"]
    assert body["extra"] == [{"key": "is_admin", "message": "at least one admin must remain"}]
    assert await is_admin(db, ada)
    # confirming rights the last admin already has is fine
    kept = await client.patch(f"/api/v1/users/{ada.id}", json={"is_admin": True}, headers=headers)
    assert kept.status_code == 200, kept.text


async def test_an_admin_may_step_down_once_another_admin_exists(client: Client, db: AsyncSession) -> None:
    ada = await make_user(db, "ada", is_admin=True)
    bo = await make_user(db, "bo")
    headers = await bearer(db, ada)
    await db.commit()

    granted = await client.patch(f"/api/v1/users/{bo.id}", json={"is_admin": True}, headers=headers)
    assert granted.status_code == 200, granted.text
    stepped_down = await client.patch(f"/api/v1/users/{ada.id}", json={"is_admin": False}, headers=headers)
    assert stepped_down.status_code == 200, stepped_down.text
    assert stepped_down.json()["is_admin"] is False
    assert await is_admin(db, bo)
    assert not await is_admin(db, ada)


async def test_admin_grant_restores_an_admin_from_the_command_line(
    db: AsyncSession, database_url: str
) -> None:
    await make_user(db, "Grace")
    await db.commit()

    result = run_cli("admin", "grant", "grace", database_url=database_url)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Grace is now an admin"
    assert (await db.scalars(select(User.login).where(User.is_admin))).all() == ["Grace"]


async def test_admin_grant_refuses_an_unknown_login(db: AsyncSession, database_url: str) -> None:
    result = run_cli("admin", "grant", "nobody", database_url=database_url)

    assert result.returncode == 1
    assert "no user has signed in with the login 'nobody'" in result.stderr
    assert "Traceback" not in result.stderr
