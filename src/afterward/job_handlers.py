"""Job handlers: the function that runs each kind of job (and, for some kinds, many
due jobs at once), registered by kind when their module is imported."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class JobContext:
    job_id: int
    store_id: int | None
    attempt: int
    payload: dict[str, Any]
    # What the transaction that enqueued the job left for it in memory, when the same
    # worker runs it right after that commit (see run_next); None anywhere else. A
    # handler may only use it to spare reading what that transaction wrote.
    hint: Any = None


Handler = Callable[[Session, JobContext], None]
_HANDLERS: dict[str, Handler] = {}
# A batch handler runs many due jobs of one kind in one transaction and returns the
# jobs that failed (their effects not written), each with its error; the others are
# done. If it raises, the worker runs each job alone through the plain handler.
BatchRun = Callable[[Session, list[JobContext]], dict[int, Exception]]


@dataclass(frozen=True)
class BatchHandler:
    run: BatchRun
    size: int  # at most this many jobs per batch
    # The handler commits its own short transactions (a send: `sending`, then `sent`)
    # and leaves the session it gets unused: the worker then runs it with no
    # transaction open, and marks the jobs done in one of its own afterwards.
    own_transactions: bool = False


# On SQLite, the session an own-transactions handler gets carries, under this key in
# `session.info`, the process's write lock: hold it around each short transaction, so
# that threads take turns in Python instead of in SQLite's sleeping busy handler.
WRITE_LOCK = "afterward.write_lock"


_BATCH_HANDLERS: dict[str, BatchHandler] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        _HANDLERS[kind] = fn
        # A later plain handler (a plugin, a test) replaces the kind entirely.
        _BATCH_HANDLERS.pop(kind, None)
        return fn

    return register


def batch_handler(kind: str, *, size: int, own_transactions: bool = False
                  ) -> Callable[[BatchRun], BatchRun]:
    """Register a batch variant of `kind`'s plain handler (register that one first)."""
    def register(fn: BatchRun) -> BatchRun:
        _BATCH_HANDLERS[kind] = BatchHandler(fn, size, own_transactions)
        return fn

    return register


def handler_for(kind: str) -> Handler | None:
    return _HANDLERS.get(kind)


def batch_handler_for(kind: str) -> BatchHandler | None:
    return _BATCH_HANDLERS.get(kind)


def registered_kinds() -> list[str]:
    return sorted(_HANDLERS)
