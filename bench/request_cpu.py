"""Benchmark: CPU per request of Cohort's request path, in process, one request at a time.

The load benchmark (``bench/http_load.py``) shares the two cores between wrk and the server, so its
numbers move from run to run. This one calls the ASGI app directly (no HTTP server, no load
generator), one request after another, on the same seeded data and endpoints, and prints the
process CPU time per request (worker threads included) and the wall time per request. It is the
steadier measure for comparing two versions of the code. Nothing is asserted.

Run with ``.venv/bin/python bench/request_cpu.py [--requests 1500] [--only TEXT]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import http_load  # the sibling benchmark: seeding and endpoints

from cohort import migrate
from cohort.app import create_app
from cohort.config import Settings
from cohort.web.heap import freeze_start_up_objects

WARM_UP = 50
"""Requests per endpoint before measuring (imports, statement caches, the parse cache)."""


def production_settings(url: str) -> Settings:
    """What ``cohort api`` would read in production, with the write limit lifted (one caller
    writes hundreds of lessons a second here)."""
    os.environ.update(
        {
            "DATABASE_URL": url,
            "DATABASE_POOL_SIZE": str(http_load.POOL_SIZE),
            "COHORT_ENV": "production",
            "SECRET_KEY": secrets.token_hex(32),
            "LOG_LEVEL": "WARNING",
            "RATE_LIMIT_WRITES_PER_MINUTE": "0",
        }
    )
    return Settings.from_env()


def scope_and_body(endpoint: http_load.Endpoint, world: http_load.World, n: int) -> tuple[Any, bytes]:
    headers = [(b"host", b"127.0.0.1")]
    if endpoint.token:
        headers.append((b"authorization", f"Bearer {endpoint.token}".encode()))
    path, body = endpoint.path, (endpoint.body or "").encode()
    if endpoint.kind == "write":  # a free (cohort, position) per request
        cohorts = world.write_cohorts
        path = path.format(cohort=cohorts[n % len(cohorts)])
        body = (http_load.WRITE_BODY % (300 + n // len(cohorts), n, "x" * 100)).encode()
    if body:
        headers += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    path, _, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": endpoint.method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    return scope, body


async def call(app: Any, scope: Any, body: bytes) -> int:
    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Any) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return int(sent[0]["status"])


async def main(requests: int, only: str | None) -> None:
    url = f"{http_load.SERVER}/cohort_cpu_{uuid.uuid4().hex[:8]}"
    await asyncio.to_thread(migrate.ensure_database, url)
    await asyncio.to_thread(migrate.upgrade, url)
    try:
        world = await http_load.seed(url)
        app = create_app(production_settings(url))
        freeze_start_up_objects()  # as cohort.asgi does for a served process
        print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {requests} requests per endpoint")
        print(f"{'endpoint':<34}{'status':>7}{'CPU ms/req':>12}{'wall ms/req':>13}")
        async with app.lifespan():
            n = 0
            for endpoint in http_load.endpoints(world):
                if only and only.lower() not in endpoint.name.lower():
                    continue
                for _ in range(WARM_UP):
                    await call(app, *scope_and_body(endpoint, world, n))
                    n += 1
                statuses: set[int] = set()
                cpu, wall = time.process_time(), time.perf_counter()
                for _ in range(requests):
                    statuses.add(await call(app, *scope_and_body(endpoint, world, n)))
                    n += 1
                cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
                status = ",".join(str(s) for s in sorted(statuses))
                print(
                    f"{endpoint.name:<34}{status:>7}{1000 * cpu / requests:>12.3f}"
                    f"{1000 * wall / requests:>13.3f}"
                )
    finally:
        await migrate.drop_database(url)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=1500, help="measured requests per endpoint")
    parser.add_argument("--only", help="run only the endpoints whose name contains this text")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.requests, arguments.only))
