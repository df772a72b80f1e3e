"""Benchmark: Cohort's request path under load, against a bare Litestar + asyncpg app, in one run.

One command seeds a fresh database (50 cohorts in 5 programs, 5,000 users, 100 learners and an
instructor per cohort, 30 lessons per cohort with 2 KB bodies, half of them released), starts
Cohort as production does (``cohort api``: uvicorn, one worker, JSON logs at INFO) and the bare app
of ``bench/bare_app.py`` (uvicorn, one worker, same pool size), checks that both answer the same
JSON bytes, and drives each endpoint with ``wrk`` on loopback, interleaved A/B/A/B. It prints per
endpoint: requests/s, p50/p99 latency, CPU per request (the server process's own user+system time),
SQL round trips per request (counted by a PostgreSQL wire-protocol proxy: one per ``Sync`` or simple
``Query`` message, so ``BEGIN``, pre-pings and ``COMMIT`` count) and the API/bare ratio of requests/s.
Idle and loaded RSS of both servers close the report. Nothing is asserted.

Run with ``.venv/bin/python bench/http_load.py [--duration 10] [--connections 64] [--rounds 2]``;
``wrk`` is installed with apt-get when missing (Debian).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import secrets
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import create_async_engine

from cohort import migrate
from cohort.domain.cohorts.models import Cohort, CohortStatus, Membership, Program
from cohort.domain.identity.models import ApiToken, User
from cohort.domain.lessons.models import Lesson

HERE = Path(__file__).resolve().parent
SERVER = "postgresql+asyncpg://postgres@127.0.0.1:5432"
PROGRAMS, COHORTS, USERS, LESSONS, BODY = 5, 50, 5_000, 30, 2_000
WRITE_COHORTS = 40
"""Cohorts the benchmark's instructor teaches: lesson POSTs spread over them (positions are unique)."""
POOL_SIZE = 10


@dataclass
class World:
    learner: str
    instructor: str
    learner_cohort: uuid.UUID
    write_cohorts: list[uuid.UUID]


async def seed(url: str) -> World:
    """Bulk inserts, one transaction; tokens are written as the API stores them (SHA-256 digests)."""
    engine = create_async_engine(url)
    now = datetime.now(UTC)
    programs = [{"id": uuid.uuid4(), "name": f"Program {p}", "slug": f"program-{p}"} for p in range(PROGRAMS)]
    cohorts = [
        {
            "id": uuid.uuid4(),
            "program_id": programs[c % PROGRAMS]["id"],
            "name": f"Cohort {c}",
            "slug": f"cohort-{c}",
            "starts_on": date(2026, 1, 1) + timedelta(days=c),
            "ends_on": date(2026, 7, 1) + timedelta(days=c),
            "status": CohortStatus.ACTIVE,
        }
        for c in range(COHORTS)
    ]
    users = [
        {
            "id": uuid.uuid4(),
            "github_id": u + 1,
            "login": f"user-{u}",
            "name": f"User {u}",
            "email": f"u{u}@x.org",
        }
        for u in range(USERS)
    ]
    per_cohort = USERS // COHORTS
    memberships = [
        {
            "cohort_id": cohorts[u // per_cohort]["id"],
            "user_id": user["id"],
            "role": "instructor" if u % per_cohort == 0 else "learner",
        }
        for u, user in enumerate(users)
    ]
    instructor = users[0]["id"]  # instructor of cohort 0; made instructor of the write cohorts too
    memberships += [
        {"cohort_id": cohorts[c]["id"], "user_id": instructor, "role": "instructor"}
        for c in range(1, WRITE_COHORTS)
    ]
    learner = users[-1]["id"]  # a learner of the last cohort, and of two more
    memberships += [
        {"cohort_id": cohorts[c]["id"], "user_id": learner, "role": "learner"}
        for c in (COHORTS - 3, COHORTS - 2)
    ]
    body = ("Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 40)[:BODY]
    lessons = [
        {
            "cohort_id": cohort["id"],
            "position": i + 1,
            "title": f"Lesson {i + 1}",
            "body_markdown": body,
            "objectives": ["read the chapter", "build the exercise", "write the tests"],
            "release_at": now + timedelta(days=7 * (i - LESSONS // 2)),
        }
        for cohort in cohorts
        for i in range(LESSONS)
    ]
    raw = {who: "coh_" + secrets.token_urlsafe(32) for who in ("learner", "instructor")}
    tokens = [
        {
            "user_id": user_id,
            "name": "bench",
            "token_prefix": raw[who][:12],
            "token_hash": hashlib.sha256(raw[who].encode()).hexdigest(),
            "expires_at": now + timedelta(days=1),
            "last_used_at": now,
        }
        for who, user_id in (("learner", learner), ("instructor", instructor))
    ]
    async with engine.begin() as conn:
        for model, rows in (
            (Program, programs),
            (Cohort, cohorts),
            (User, users),
            (Membership, memberships),
            (Lesson, lessons),
            (ApiToken, tokens),
        ):
            await conn.execute(insert(model), rows)
    await engine.dispose()
    return World(
        learner=raw["learner"],
        instructor=raw["instructor"],
        learner_cohort=cohorts[-1]["id"],
        write_cohorts=[c["id"] for c in cohorts[:WRITE_COHORTS]],
    )


# --- the endpoints ---------------------------------------------------------------------------------


@dataclass
class Endpoint:
    name: str
    method: str
    path: str
    token: str | None
    body: str | None = None
    kind: str = "read"


def endpoints(world: World) -> list[Endpoint]:
    lessons = f"/api/v1/cohorts/{world.learner_cohort}/lessons"
    dashboard = json.dumps(
        {"query": (HERE.parent / "graphql/operations/learner_dashboard.graphql").read_text()}
    )
    return [
        Endpoint("GET /health", "GET", "/health", None),
        Endpoint("GET /api/v1/me", "GET", "/api/v1/me", world.learner),
        Endpoint("GET /api/v1/cohorts?limit=20", "GET", "/api/v1/cohorts?limit=20", world.learner),
        Endpoint("GET lessons?limit=20 (learner)", "GET", f"{lessons}?limit=20", world.learner),
        Endpoint(
            "POST lessons (instructor)",
            "POST",
            "/api/v1/cohorts/{cohort}/lessons",
            world.instructor,
            kind="write",
        ),
        Endpoint("POST /graphql learner dashboard", "POST", "/graphql", world.learner, dashboard),
    ]


WRITE_BODY = (
    '{"position":%d,"title":"Bench lesson %d","release_at":"2030-01-01T09:00:00Z",'
    '"body_markdown":"%s","objectives":["read","build"]}'
)


def wrk_script(endpoint: Endpoint, write_cohorts: list[uuid.UUID], slot: int, threads: int) -> str:
    """A wrk Lua script: headers and body; for lesson POSTs, a free (cohort, position) per request."""
    headers = ['wrk.headers["Content-Type"] = "application/json"']
    if endpoint.token:
        headers.append(f'wrk.headers["Authorization"] = "Bearer {endpoint.token}"')
    lines = [f'wrk.method = "{endpoint.method}"', *headers]
    if endpoint.kind != "write":
        body = f"[==[{endpoint.body}]==]" if endpoint.body else "nil"
        lines += [f"wrk.body = {body}", f'wrk.path = "{endpoint.path}"']
    else:
        # each (run, thread) gets its own cohorts so no position is ever asked for twice
        spare = write_cohorts[1:]  # the first takes the warm-up posts
        per_slot = len(spare) // (threads * 8)
        cohort_lists = [
            "{"
            + ",".join(
                f'"{c}"' for c in spare[(slot * threads + t) * per_slot : (slot * threads + t + 1) * per_slot]
            )
            + "}"
            for t in range(threads)
        ]
        body = ("Lesson text. " * 160)[:BODY]
        lines += [
            f"local lists = {{{','.join(cohort_lists)}}}",
            "local counter = 1",
            "function setup(thread) counter = counter + 1; thread:set('slot', counter - 1) end",
            "function init(args) mine = lists[slot]; n = 0 end",
            "function request()",
            "  n = n + 1; local c = mine[math.floor(n / 9900) + 1]; local pos = 31 + n % 9900",
            f"  local body = string.format('{WRITE_BODY}', pos, n, '{body}')",
            '  return wrk.format(nil, "/api/v1/cohorts/" .. c .. "/lessons", nil, body)',
            "end",
        ]
    lines += [
        "function done(summary, latency, requests)",
        '  io.write(string.format("RESULT %d %d %d %d %d %f %f\\n", summary.requests, summary.duration,',
        "    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write"
        " + summary.errors.timeout,",
        "    0, latency:percentile(50), latency:percentile(99)))",
        "end",
    ]
    return "\n".join(lines) + "\n"


@dataclass
class Result:
    rps: float
    p50_ms: float
    p99_ms: float
    cpu_ms: float
    errors: int


def run_wrk(port: int, script: str, duration: int, connections: int, pid: int) -> Result:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    before = cpu_seconds(pid)
    out = subprocess.run(  # noqa: S603
        [  # noqa: S607
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{duration}s",
            "--timeout",
            "10s",
            "-s",
            handle.name,
            f"http://127.0.0.1:{port}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    cpu = cpu_seconds(pid) - before
    os.unlink(handle.name)
    line = next(x for x in out.splitlines() if x.startswith("RESULT"))
    requests, micros, status_errors, socket_errors, _, p50, p99 = line.split()[1:]
    count = int(requests)
    return Result(
        rps=count / (int(micros) / 1e6),
        p50_ms=float(p50) / 1000,
        p99_ms=float(p99) / 1000,
        cpu_ms=cpu * 1000 / max(count, 1),
        errors=int(status_errors) + int(socket_errors),
    )


# --- servers ---------------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int, key: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_api(url: str, port: int) -> subprocess.Popen[bytes]:
    """``cohort api`` with production settings: one uvicorn worker, JSON logs at INFO (discarded)."""
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DATABASE_POOL_SIZE": str(POOL_SIZE),
        "COHORT_ENV": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "LOG_LEVEL": "INFO",
        "LOG_JSON": "true",
        # the load is one caller writing hundreds of lessons a second: measure the request path, not
        # the per-caller write limit (which would answer 429 after 120 a minute)
        "RATE_LIMIT_WRITES_PER_MINUTE": "0",
    }
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "cohort", "api", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def start_bare(url: str, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "BARE_DATABASE_URL": url, "BARE_POOL_SIZE": str(POOL_SIZE)}
    return subprocess.Popen(  # noqa: S603
        [
            sys.executable, "-m", "uvicorn", "bare_app:app", "--app-dir", str(HERE), "--port", str(port),
            "--workers", "1", "--no-access-log", "--log-level", "warning", "--proxy-headers",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip


async def wait_healthy(port: int) -> None:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
        for _ in range(300):
            try:
                if (await http.get("/health")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"the server on port {port} did not start")


# --- counting round trips --------------------------------------------------------------------------


@dataclass
class RoundTrips:
    """A PostgreSQL proxy counting the messages after which a client waits for the server."""

    count: int = 0
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def serve(self, port: int) -> asyncio.Server:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", 5432)
            back = asyncio.create_task(self._pipe(up_reader, writer))
            self.tasks.add(back)
            try:
                await self._client(reader, up_writer)
            finally:
                up_writer.close()
                back.cancel()

        return await asyncio.start_server(handle, "127.0.0.1", port)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        length = struct.unpack("!I", await reader.readexactly(4))[0]  # start-up / SSL request
        writer.write(struct.pack("!I", length) + await reader.readexactly(length - 4))
        if length == 8:  # SSLRequest: the server answers 'N'; the real start-up message follows
            length = struct.unpack("!I", await reader.readexactly(4))[0]
            writer.write(struct.pack("!I", length) + await reader.readexactly(length - 4))
        try:
            while True:
                head = await reader.readexactly(5)
                kind, size = head[:1], struct.unpack("!I", head[1:])[0]
                if kind in (b"S", b"Q"):
                    self.count += 1
                writer.write(head + await reader.readexactly(size - 4))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            return

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()


async def one_request(http: httpx.AsyncClient, endpoint: Endpoint, world: World, n: int) -> httpx.Response:
    headers = {"Authorization": f"Bearer {endpoint.token}"} if endpoint.token else {}
    if endpoint.kind == "write":
        body = {"position": 31 + n, "title": f"Warm-up {n}", "release_at": "2030-01-01T09:00:00Z"}
        url = endpoint.path.format(cohort=world.write_cohorts[0])  # the load writes to the others
        return await http.post(url, json=body, headers=headers)
    if endpoint.method == "POST":
        return await http.post(
            endpoint.path, content=endpoint.body, headers={**headers, "Content-Type": "application/json"}
        )
    return await http.get(endpoint.path, headers=headers)


async def round_trips(
    url: str, world: World, eps: list[Endpoint], start: Any, base: int
) -> tuple[dict[str, int], dict[str, bytes]]:
    """Round trips per request for each endpoint (warm, 20 requests), and one response body each."""
    proxy = RoundTrips()
    proxy_port = free_port()
    server = await proxy.serve(proxy_port)
    proxied = url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy_port}")
    port = free_port()
    process = start(proxied, port)
    counts: dict[str, int] = {}
    bodies: dict[str, bytes] = {}
    try:
        await wait_healthy(port)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            for i, endpoint in enumerate(eps):
                for n in range(3):
                    response = await one_request(http, endpoint, world, base + i * 100 + n)
                    if response.status_code >= 300:
                        raise RuntimeError(f"{endpoint.name}: {response.status_code} {response.text[:300]}")
                bodies[endpoint.name] = response.content
                before = proxy.count
                for n in range(20):
                    await one_request(http, endpoint, world, base + i * 100 + 10 + n)
                counts[endpoint.name] = round((proxy.count - before) / 20)
    finally:
        process.terminate()
        await asyncio.to_thread(process.wait, 30)  # the proxy (this loop) must see its connections out
        server.close()
    return counts, bodies


def same_json(api: bytes, bare: bytes, write: bool) -> str:
    if api == bare:
        return "identical bytes"
    if write:  # new ids and timestamps: compare the shape
        a, b = json.loads(api), json.loads(bare)
        same = list(a) == list(b) and all(
            a[k] == b[k]
            for k in a
            if k not in {"id", "created_at", "updated_at", "position", "title", "body_markdown", "objectives"}
        )
        return "same keys and values (ids differ)" if same else "DIFFERENT"
    return "DIFFERENT"


def ensure_wrk() -> None:
    if shutil.which("wrk"):
        return
    print("installing wrk (apt-get)")
    subprocess.run(["apt-get", "install", "-y", "wrk"], check=True, capture_output=True)  # noqa: S607


async def main(duration: int, connections: int, rounds: int, only: str | None = None) -> None:
    ensure_wrk()
    url = f"{SERVER}/cohort_load_{uuid.uuid4().hex[:8]}"
    await asyncio.to_thread(migrate.ensure_database, url)
    await asyncio.to_thread(migrate.upgrade, url)
    servers: list[subprocess.Popen[bytes]] = []
    try:
        world = await seed(url)
        eps = [e for e in endpoints(world) if only is None or only.lower() in e.name.lower()]
        api_trips, api_bodies = await round_trips(url, world, eps, start_api, 0)
        bare_trips, bare_bodies = await round_trips(url, world, eps, start_bare, 1_000)
        when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        print(f"{when}; {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}")
        print(f"wrk -t2 -c{connections} -d{duration}s per run, A/B x{rounds} interleaved")
        print(
            f"seeded {COHORTS} cohorts, {USERS} users, {LESSONS} lessons of {BODY} B per cohort; "
            f"pool {POOL_SIZE}"
        )
        for endpoint in eps:
            same = same_json(api_bodies[endpoint.name], bare_bodies[endpoint.name], endpoint.kind == "write")
            print(f"  {endpoint.name}: {same}")
        ports = {"api": free_port(), "bare": free_port()}
        api, bare = start_api(url, ports["api"]), start_bare(url, ports["bare"])
        servers += [api, bare]
        pids = {"api": api.pid, "bare": bare.pid}
        await wait_healthy(ports["api"])
        await wait_healthy(ports["bare"])
        async with httpx.AsyncClient(timeout=30) as http:  # warm both (imports, statement caches)
            for side in ("api", "bare"):
                http.base_url = httpx.URL(f"http://127.0.0.1:{ports[side]}")
                for i, endpoint in enumerate(eps):
                    for n in range(5):
                        await one_request(
                            http, endpoint, world, (2_000 if side == "api" else 3_000) + i * 10 + n
                        )
        idle = {side: rss_mb(pid) for side, pid in pids.items()}
        print(
            f"{'endpoint':<34}{'API r/s':>9}{'bare r/s':>9}{'ratio':>7}{'API p50/p99 ms':>16}"
            f"{'bare p50/p99 ms':>17}{'API CPU ms':>11}{'bare CPU':>9}{'SQL API/bare':>13}"
        )
        slot = 0
        for endpoint in eps:
            results: dict[str, list[Result]] = {"api": [], "bare": []}
            for _ in range(rounds):
                for side in ("api", "bare"):
                    script = wrk_script(endpoint, world.write_cohorts, slot, 2)
                    slot += endpoint.kind == "write"
                    results[side].append(
                        await asyncio.to_thread(
                            run_wrk, ports[side], script, duration, connections, pids[side]
                        )
                    )
            a, b = (summarise(results[s]) for s in ("api", "bare"))
            errors = sum(r.errors for s in results.values() for r in s)
            print(
                f"{endpoint.name:<34}{a.rps:>9,.0f}{b.rps:>9,.0f}{a.rps / b.rps:>7.2f}"
                f"{f'{a.p50_ms:.1f}/{a.p99_ms:.1f}':>16}{f'{b.p50_ms:.1f}/{b.p99_ms:.1f}':>17}"
                f"{a.cpu_ms:>11.2f}{b.cpu_ms:>9.2f}{f'{api_trips[endpoint.name]}/{bare_trips[endpoint.name]}':>13}"
                + (f"  ({errors} non-2xx or socket errors)" if errors else "")
            )
        print(
            "RSS MB idle -> peak: "
            + ", ".join(
                f"{side} {idle[side]:.0f} -> {rss_mb(pid, 'VmHWM'):.0f}" for side, pid in pids.items()
            )
        )
        print(
            "ratio: API req/s / bare req/s (goal: reads >= 0.7, writes >= 0.5); "
            "CPU ms: server CPU per request;"
        )
        print("SQL: round trips per request (Sync or Query messages, through a counting proxy, warm)")
    finally:
        for process in servers:
            process.terminate()
            process.wait(timeout=30)
        await migrate.drop_database(url)


def summarise(results: list[Result]) -> Result:
    return Result(
        rps=statistics.mean(r.rps for r in results),
        p50_ms=statistics.mean(r.p50_ms for r in results),
        p99_ms=statistics.mean(r.p99_ms for r in results),
        cpu_ms=statistics.mean(r.cpu_ms for r in results),
        errors=sum(r.errors for r in results),
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=2, help="A/B pairs per endpoint")
    parser.add_argument("--only", help="run only the endpoints whose name contains this text")
    args = parser.parse_args()
    asyncio.run(main(args.duration, args.connections, args.rounds, args.only))
