"""The live API for WebSocket tests (one uvicorn server for the whole run)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cohort.config import Settings
from tests.support.live import LiveServer


@pytest.fixture(scope="session")
def live_server(settings: Settings) -> Iterator[LiveServer]:
    server = LiveServer(settings).start()
    yield server
    server.stop()
