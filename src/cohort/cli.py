"""The ``cohort`` command: run the API or the worker, migrate, load demo data."""

from __future__ import annotations

import asyncio

import click

from cohort.config import get_settings


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

    settings = get_settings()
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
