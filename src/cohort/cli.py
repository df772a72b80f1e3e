"""The ``cohort`` command: run the API or the worker, migrate, load demo data, preview emails,
export the GraphQL schema."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import UUID

import click

from cohort.config import PROJECT_ROOT, get_settings
from cohort.mail.templates import EMAIL_KINDS

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


@click.group()
def main() -> None:
    """Cohort: a backend for cohort-based learning programs."""


@main.group()
def db() -> None:
    """Database schema management (Alembic)."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Create the database if missing and apply migrations."""
    from cohort import migrate

    settings = get_settings()
    if migrate.ensure_database(settings.database_url):
        click.echo("created database")
    migrate.upgrade(settings.database_url, revision)
    click.echo(f"database at {revision}")


@db.command("downgrade")
@click.option("--revision", default="-1", show_default=True)
def db_downgrade(revision: str) -> None:
    """Revert migrations (default: the newest one)."""
    from cohort import migrate

    migrate.downgrade(get_settings().database_url, revision)
    click.echo(f"database at {revision}")


@main.command()
def demo() -> None:
    """Load the demo programs, cohorts, people and lessons (whatever is missing) and print one new API
    token per demo role; development and test only."""
    from cohort.demo import load_demo

    if not get_settings().is_local:
        msg = (
            "the demo (people with printed API tokens) is for COHORT_ENV=development or test only, "
            f"not {get_settings().environment!r}"
        )
        raise click.ClickException(msg)

    async def run(session: AsyncSession) -> str:
        result = await load_demo(session)
        lines = ["demo data loaded" if result.created else "demo data already present"]
        lines.append("API tokens of the demo people (shown once; each run replaces the previous ones):")
        lines.extend(f"  {role:<11} {login:<16} {token}" for role, login, token in result.tokens)
        return "\n".join(lines)

    click.echo(_run_in_transaction(run))


@main.group()
def admin() -> None:
    """Administer accounts from the command line (needs database access, not an admin token)."""


@admin.command("grant")
@click.argument("login")
def admin_grant(login: str) -> None:
    """Make LOGIN an admin: the way back when no admin is left."""
    from cohort.domain.identity.services import UserService

    async def grant(session: AsyncSession) -> str:
        user = await UserService(session=session).grant_admin(login)
        return f"{user.login} is now an admin"

    click.echo(_run_in_transaction(grant))


@main.group()
def token() -> None:
    """Personal API tokens."""


@token.command("create")
@click.option("--login", required=True, help="The GitHub login of the person the token acts as.")
@click.option("--name", default="cli", show_default=True, help="A label to recognise the token by.")
@click.option("--expires-in-days", default=30, show_default=True, type=click.IntRange(1, 366))
def token_create(login: str, name: str, expires_in_days: int) -> None:
    """Print a new API token for LOGIN (a learner, mentor, instructor or admin), without GitHub sign-in."""
    click.echo(_run_in_transaction(lambda session: _issue_token(session, login, name, expires_in_days)))


async def _issue_token(session: AsyncSession, login: str, name: str, expires_in_days: int) -> str:
    from cohort.domain.identity.services import ApiTokenService, UserService
    from cohort.security.actor import Actor

    user = await UserService(session=session).find_by_login(login)
    if user is None or user.pending:
        raise click.ClickException(f"no user has signed in with the login {login!r}")
    owner = Actor(user_id=user.id, login=user.login, is_admin=user.is_admin)
    limit = get_settings().api_tokens_per_user
    _, raw = await ApiTokenService(session=session).issue(owner, name, expires_in_days, max_live=limit)
    return raw


def _run_in_transaction(work: Callable[[AsyncSession], Awaitable[str]]) -> str:
    """Run ``work`` in one committed transaction; a refusal becomes a one-line error, exit code 1."""
    from cohort.db import build_alchemy_config
    from cohort.errors import DomainError

    async def run() -> str:
        config = build_alchemy_config(get_settings())
        try:
            async with config.get_session() as session, session.begin():
                return await work(session)
        finally:
            await config.get_engine().dispose()

    try:
        return asyncio.run(run())
    except DomainError as exc:
        raise click.ClickException(exc.detail) from exc


@main.command()
@click.option("--host", default=None, help="Bind address (default: HOST or 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port (default: PORT or 8000).")
@click.option("--workers", default=1, show_default=True, type=int)
@click.option("--reload", is_flag=True, help="Restart on code changes (development).")
def api(host: str | None, port: int | None, workers: int, reload: bool) -> None:
    """Serve the HTTP API with uvicorn (graceful shutdown on SIGTERM)."""
    import uvicorn

    from cohort.observability.metrics import prepare_multiprocess_dir

    settings = get_settings()
    prepare_multiprocess_dir(workers)
    uvicorn.run(
        "cohort.asgi:app",
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        reload=reload,
        proxy_headers=True,
        timeout_graceful_shutdown=settings.api_shutdown_grace_seconds,
        log_config=None,
        access_log=False,
    )


@main.command()
def worker() -> None:
    """Run the background job worker (SAQ on Redis)."""
    from cohort.worker import run_worker

    asyncio.run(run_worker(get_settings()))


@main.group()
def emails() -> None:
    """Email templates: list the kinds, preview any of them with demo data."""


@emails.command("list")
def emails_list() -> None:
    """Every email kind, with the subject its demo data produces."""
    for kind, context_type in EMAIL_KINDS.items():
        click.echo(f"{kind}\t{context_type.demo().subject}")


@emails.command("preview")
@click.argument("kind", type=click.Choice(list(EMAIL_KINDS)))
@click.option("--format", "part", type=click.Choice(["html", "text"]), default="html", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write here instead of stdout.")
def emails_preview(kind: str, part: str, out: Path | None) -> None:
    """Render KIND with its demo data, links and unsubscribe link as a real recipient would get them."""
    from cohort.mail import EmailRenderer, UnsubscribeTokens, unsubscribe_url

    settings = get_settings()
    token = UnsubscribeTokens(settings.secret_key).sign(UUID(int=1), kind)
    renderer = EmailRenderer(settings.emails_dir, public_base_url=settings.public_base_url)
    rendered = renderer.render(
        EMAIL_KINDS[kind].demo(), unsubscribe_url=unsubscribe_url(settings.public_base_url, token)
    )
    body = rendered.html if part == "html" else rendered.text
    if out is None:
        click.echo(body, nl=False)
    else:
        out.write_text(body, encoding="utf-8")
        click.echo(f"wrote {out} ({rendered.subject})", err=True)


@main.group()
def graphql() -> None:
    """The GraphQL schema frontends build against."""


@graphql.command("export")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=lambda: str(PROJECT_ROOT / "graphql" / "schema.graphql"),
    show_default="graphql/schema.graphql",
    help="Where to write the SDL ('-' for stdout).",
)
@click.option("--check", is_flag=True, help="Only compare: exit 1 if the file differs from the schema.")
def graphql_export(out: Path, check: bool) -> None:
    """Write the live schema as SDL (commit the result with the change that altered it)."""
    from cohort.graphql.schema import schema_sdl

    sdl = schema_sdl()
    if str(out) == "-":
        click.echo(sdl, nl=False)
    elif check:
        if not out.is_file() or out.read_text() != sdl:
            raise click.ClickException(f"{out} is out of date; run `cohort graphql export`")
        click.echo(f"{out} is up to date")
    else:
        out.write_text(sdl)
        click.echo(f"wrote {out}")
