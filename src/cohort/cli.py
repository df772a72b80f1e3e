"""The ``cohort`` command: run the API or the worker, migrate, load demo data, preview emails,
export the GraphQL schema."""

from __future__ import annotations

import asyncio
from pathlib import Path
from uuid import UUID

import click

from cohort.config import PROJECT_ROOT, get_settings
from cohort.mail.templates import EMAIL_KINDS


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
    """Load the demo program, cohorts, people and lessons (once)."""
    from cohort.db import build_alchemy_config
    from cohort.demo import load_demo

    async def run() -> None:
        config = build_alchemy_config(get_settings())
        try:
            async with config.get_session() as session, session.begin():
                result = await load_demo(session)
        finally:
            await config.get_engine().dispose()
        if result.created:
            click.echo("demo data loaded; admin API token (shown once):")
            click.echo(result.admin_token)
        else:
            click.echo("demo data already present")

    asyncio.run(run())


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
