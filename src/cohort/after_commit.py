"""Start background jobs only once the transaction that asked for them has committed.

A service that wants a job (send the outbox now, allocate reviewers) calls :func:`enqueue_after_commit`
on its session instead of enqueueing directly. The job is only *buffered* on the session; it becomes
ready when the outermost transaction commits and is dropped when that transaction, or a savepoint it
was buffered in, rolls back. Whoever owns the transaction then sends the ready jobs with
:func:`flush_committed`: the web layer does so right after the response's commit, a job or command
right after its ``session.begin()`` block.

So a rolled-back request never starts a job, and a job never starts before the rows it will read are
visible to it. The reverse gap (committed, then Redis unreachable before the enqueue) is closed by
scheduled scans of database state, which every job that matters has: an enqueue is a prompt, the
database is the record.

A leaf module: it knows SQLAlchemy sessions and SAQ queues, and no domain area.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import structlog
from saq import Queue
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

log = structlog.get_logger("cohort.after_commit")

_BUFFER_KEY = "cohort.after_commit"


@dataclass(frozen=True, slots=True)
class DeferredJob:
    """A job to enqueue: its dotted name, its arguments, and SAQ job options (``key``, ``timeout``…)."""

    name: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class _Buffer:
    pending: list[tuple[SessionTransaction | None, DeferredJob]] = field(default_factory=list)
    ready: list[DeferredJob] = field(default_factory=list)


def _sync(session: AsyncSession | Session) -> Session:
    return session.sync_session if isinstance(session, AsyncSession) else session


def _buffer(session: Session) -> _Buffer:
    found = session.info.get(_BUFFER_KEY)
    if found is None:
        found = session.info[_BUFFER_KEY] = _Buffer()
    assert isinstance(found, _Buffer)
    return found


def enqueue_after_commit(
    session: AsyncSession | Session, name: str, *, options: dict[str, Any] | None = None, **kwargs: Any
) -> None:
    """Buffer job ``name`` (called with ``kwargs``) until ``session``'s transaction commits."""
    sync = _sync(session)
    transaction = sync.get_nested_transaction() or sync.get_transaction()
    _buffer(sync).pending.append((transaction, DeferredJob(name, dict(kwargs), dict(options or {}))))


def has_pending(session: AsyncSession | Session) -> bool:
    """Whether jobs are buffered that only a commit of this session will let through."""
    buffer = _sync(session).info.get(_BUFFER_KEY)
    return isinstance(buffer, _Buffer) and bool(buffer.pending)


def take_committed(session: AsyncSession | Session) -> list[DeferredJob]:
    """The jobs whose transaction has committed since the last call (and forget them)."""
    buffer = _sync(session).info.get(_BUFFER_KEY)
    if not isinstance(buffer, _Buffer) or not buffer.ready:
        return []
    ready, buffer.ready = buffer.ready, []
    return ready


async def flush_committed(session: AsyncSession | Session, queue: Queue) -> int:
    """Enqueue every committed job; returns how many were enqueued.

    A failed enqueue is logged, not raised: the transaction is already committed, and the scheduled
    scan behind every job picks the work up.
    """
    sent = 0
    for job in take_committed(session):
        try:
            await queue.enqueue(job.name, **job.options, **job.kwargs)
            sent += 1
        except Exception:
            log.exception("after_commit.enqueue_failed", job=job.name)
    return sent


def _within(transaction: SessionTransaction | None, ancestor: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False


@event.listens_for(Session, "after_commit")
def _on_commit(session: Session) -> None:
    """Savepoint releases also fire this; only the outermost commit makes jobs ready."""
    if session.in_nested_transaction():
        return
    buffer = session.info.get(_BUFFER_KEY)
    if isinstance(buffer, _Buffer) and buffer.pending:
        buffer.ready.extend(job for _, job in buffer.pending)
        buffer.pending.clear()


@event.listens_for(Session, "after_soft_rollback")
def _on_rollback(session: Session, previous_transaction: SessionTransaction) -> None:
    """Drop jobs buffered inside the transaction (or savepoint) that rolled back."""
    buffer = session.info.get(_BUFFER_KEY)
    if not isinstance(buffer, _Buffer) or not buffer.pending:
        return
    if previous_transaction.parent is None:
        buffer.pending.clear()
    else:
        buffer.pending = [(tx, job) for tx, job in buffer.pending if not _within(tx, previous_transaction)]


@event.listens_for(Session, "after_transaction_end")
def _on_end(session: Session, transaction: SessionTransaction) -> None:
    """When the outermost transaction ends without committing (closed, discarded), its jobs go too."""
    if transaction.parent is not None:
        return
    buffer = session.info.get(_BUFFER_KEY)
    if isinstance(buffer, _Buffer):
        buffer.pending.clear()
