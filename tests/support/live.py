"""The app served by uvicorn on a free loopback port, in a thread, and a graphql-transport-ws client.

A second app instance (the in-process test client is another) stands for a second API process:
events published through one reach subscribers of the other only through Redis.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn
from redis.asyncio import Redis
from sqlalchemy import event
from sqlalchemy.engine import Engine
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from cohort.app import create_app
from cohort.config import Settings

PROTOCOL = Subprotocol("graphql-transport-ws")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


LIVE_THREAD = "live-api"


class LiveServer:
    """``create_app(settings)`` under uvicorn until :meth:`stop`."""

    def __init__(self, settings: Settings, port: int | None = None) -> None:
        self.port = port or free_port()
        config = uvicorn.Config(
            create_app(settings), host="127.0.0.1", port=self.port, log_config=None, lifespan="on"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name=LIVE_THREAD, daemon=True)

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"

    def start(self) -> LiveServer:
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the live API did not start")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=20)


@dataclass
class Subscriber:
    """One graphql-transport-ws connection (acknowledged)."""

    socket: ClientConnection

    async def subscribe(
        self,
        operation_id: str,
        query: str,
        variables: dict[str, Any] | None = None,
        operation_name: str | None = None,
    ) -> None:
        payload = {"query": query, "variables": variables or {}, "operationName": operation_name}
        await self.socket.send(json.dumps({"id": operation_id, "type": "subscribe", "payload": payload}))

    async def receive(self, seconds: float = 10) -> dict[str, Any]:
        """The next message other than a ping."""
        while True:
            message: dict[str, Any] = json.loads(await asyncio.wait_for(self.socket.recv(), seconds))
            if message["type"] != "ping":
                return message


@asynccontextmanager
async def subscriber(
    url: str, *, payload: dict[str, Any] | None = None, headers: dict[str, str] | None = None
) -> AsyncIterator[Subscriber]:
    """A connection that sent ``connection_init`` with ``payload`` and got ``connection_ack``."""
    async with connect(url, subprotocols=[PROTOCOL], additional_headers=headers) as socket:
        await socket.send(json.dumps({"type": "connection_init", "payload": payload or {}}))
        ack = json.loads(await asyncio.wait_for(socket.recv(), 10))
        assert ack["type"] == "connection_ack", ack
        yield Subscriber(socket)


async def wait_for_listener(redis_url: str, channel: str, seconds: float = 10) -> None:
    """Until some process listens on the Redis ``channel`` (a subscription is set up asynchronously)."""
    redis = Redis.from_url(redis_url)
    try:
        deadline = time.monotonic() + seconds
        while True:
            counts = dict(await redis.pubsub_numsub(channel))
            if counts.get(channel.encode(), 0) > 0:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"nobody subscribed to {channel}")
            await asyncio.sleep(0.02)
    finally:
        await redis.aclose()


class LiveQueries:
    """SQL the live server has run (its own thread's statements and parameters), while active.

    Lets a test wait until the server has *done* something asynchronous, e.g. read a lesson to
    decide whether to deliver an event, instead of sleeping and hoping.
    """

    def __init__(self) -> None:
        self._seen: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def _record(self, conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        if threading.current_thread().name == LIVE_THREAD:
            with self._lock:
                self._seen.append((statement, repr(parameters)))

    def __enter__(self) -> LiveQueries:
        event.listen(Engine, "after_cursor_execute", self._record)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(Engine, "after_cursor_execute", self._record)

    async def wait_for_read(self, table: str, row_id: object, seconds: float = 10) -> None:
        """Until the live server has run a ``SELECT`` from ``table`` with ``row_id`` as a parameter."""
        deadline = time.monotonic() + seconds
        while True:
            with self._lock:
                seen = list(self._seen)
            if any(
                sql.lstrip().upper().startswith("SELECT") and f"FROM {table}" in sql and str(row_id) in params
                for sql, params in seen
            ):
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"the live server never read {table} {row_id}")
            await asyncio.sleep(0.02)
