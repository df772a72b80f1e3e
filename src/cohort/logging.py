"""Structured logging with structlog: JSON lines in production, readable lines on a terminal."""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import Any

import msgspec
import structlog

from cohort.config import Settings


def configure_logging(settings: Settings) -> None:
    """Route stdlib and structlog records through one structlog pipeline."""
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer()
        if settings.log_json
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler()
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    _access["handler"] = handler if settings.log_json else None
    root.setLevel(settings.log_level)
    for noisy in ("uvicorn.access", "sqlalchemy.engine.Engine"):
        logging.getLogger(noisy).propagate = noisy != "uvicorn.access"


_access: dict[str, logging.StreamHandler[Any] | None] = {"handler": None}
_encoder = msgspec.json.Encoder()


def write_access_line(fields: dict[str, Any]) -> bool:
    """Write one access-log line the cheap way: the JSON object the structlog chain would render
    (same keys, same order of fields), encoded once and written to the log stream.

    Every request writes one, so the generic chain (processors, ``LogRecord``, formatter, the
    standard-library JSON encoder) would cost a noticeable share of a small request. Returns
    ``False`` when JSON logging is off; the caller then logs through structlog as usual.
    """
    handler = _access["handler"]
    if handler is None:
        return False
    timestamp = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    line = {**fields, "level": "info", "logger": "cohort.access", "timestamp": timestamp}
    data = _encoder.encode(line).decode() + "\n"
    with handler.lock or _NO_LOCK:
        handler.stream.write(data)
    return True


class _NoLock:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *_: object) -> None:
        return None


_NO_LOCK = _NoLock()
